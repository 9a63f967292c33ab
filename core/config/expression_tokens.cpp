#include "config/expression_tokens.hpp"

#include "config/python_ops.hpp"

namespace lighter::cfg::expr {
namespace {

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string read_string(std::string_view text, std::size_t& i, std::size_t start) {
    const char quote = text[i++];
    std::string out;
    while (true) {
        if (i >= text.size() || text[i] == '\n') fail(start, "unterminated string");
        const char c = text[i++];
        if (c == quote) return out;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (i >= text.size()) fail(start, "unterminated string");
        const char e = text[i++];
        switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case '0': out += '\0'; break;
            case '\\': case '\'': case '"': out += e; break;
            default: out += '\\'; out += e;  // Python keeps unknown escapes
        }
    }
}

}  // namespace

std::vector<Token> tokenize(std::string_view text, const char* subset) {
    static const char* const kOps[] = {"**", "//", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/",
                                       "%",  "(",  ")",  "[",  "]",  ",", ".", ":"};
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        const std::size_t start = i;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++i;
        } else if ((c >= '0' && c <= '9') || (c == '.' && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '9')) {
            while (i < text.size() && (is_name_char(text[i]) || text[i] == '.' ||
                                       ((text[i] == '-' || text[i] == '+') && (text[i - 1] == 'e' || text[i - 1] == 'E'))))
                ++i;
            tokens.push_back({Tok::Number, std::string(text.substr(start, i - start)), start});
        } else if ((c == 'f' || c == 'F') && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\'')) {
            ++i;
            tokens.push_back({Tok::FString, read_string(text, i, start), start});
        } else if (c == '"' || c == '\'') {
            tokens.push_back({Tok::String, read_string(text, i, start), start});
        } else if (c == '@') {
            ++i;
            while (i < text.size() && (is_name_char(text[i]) || text[i] == '#' ||
                                       (text[i] == ':' && i + 1 < text.size() && text[i + 1] == ':'))) {
                i += text[i] == ':' ? 2 : 1;
            }
            if (i == start + 1) fail(start, "'@' names no key", "write a reference like @vars::lr");
            tokens.push_back({Tok::Ref, std::string(text.substr(start + 1, i - start - 1)), start});
        } else if (is_name_char(c)) {
            while (i < text.size() && is_name_char(text[i])) ++i;
            tokens.push_back({Tok::Name, std::string(text.substr(start, i - start)), start});
        } else {
            const char* op = nullptr;
            for (const char* candidate : kOps)
                if (text.substr(i, std::char_traits<char>::length(candidate)) == candidate) {
                    op = candidate;
                    break;
                }
            if (!op) fail(start, "'" + std::string(1, c) + "' is not supported", subset);
            i += std::char_traits<char>::length(op);
            tokens.push_back({Tok::Op, op, start});
        }
    }
    tokens.push_back({Tok::End, "", text.size()});
    return tokens;
}

}  // namespace lighter::cfg::expr
