// The tokens of a `$` expression: numbers, strings, f-strings, names, @references, operators.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lighter::cfg::expr {

enum class Tok { End, Number, String, FString, Name, Ref, Op };
struct Token {
    Tok kind = Tok::End;
    std::string text;  // the number's text, the string's value, the name, the reference id, the operator
    std::size_t at = 0;
};

// The tokens of `text`, ending with Tok::End; a Failure for text no token starts with
// (`subset` is the hint that names what expressions may use).
std::vector<Token> tokenize(std::string_view text, const char* subset);

}  // namespace lighter::cfg::expr
