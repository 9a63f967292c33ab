#include "config/expression.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/limits.hpp"

namespace lighter::cfg {
namespace {

const char* const kSubset =
    "a `$` expression may use numbers, strings, f-strings, lists, @references, + - * / // % **, comparisons, "
    "and/or/not, `x if c else y`, indexing, len/min/max/abs/round/int/float/str/bool/sum/range and "
    "@path.parameters()";
constexpr std::size_t kMaxItems = 1u << 20;
constexpr std::int64_t kMaxRange = 1 << 20;
constexpr int kMaxTotalDepth = 4 * kMaxNesting;

// The reason an expression failed, and where in its text.
struct Failure {
    std::string message;
    std::size_t at;
    std::string hint;
};

enum class Tok { End, Number, String, FString, Name, Ref, Op };
struct Token {
    Tok kind = Tok::End;
    std::string text;  // the number's text, the string's value, the name, the reference id, the operator
    std::size_t at = 0;
};

[[noreturn]] void fail(std::size_t at, std::string message, std::string hint = {}) {
    throw Failure{std::move(message), at, std::move(hint)};
}

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

std::vector<Token> tokenize(std::string_view text) {
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
            if (!op) fail(start, "'" + std::string(1, c) + "' is not supported", kSubset);
            i += std::char_traits<char>::length(op);
            tokens.push_back({Tok::Op, op, start});
        }
    }
    tokens.push_back({Tok::End, "", text.size()});
    return tokens;
}

// Python's repr of a float: shortest round trip, exponent outside [1e-4, 1e16).
std::string python_float(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[40];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific).ptr;
    std::string sci(buffer, end);  // "-1.2345e+17"
    const std::size_t e = sci.find('e');
    const int exponent = std::atoi(sci.c_str() + e + 1);
    const bool negative = sci[0] == '-';
    std::string digits;
    for (std::size_t k = negative ? 1 : 0; k < e; ++k)
        if (sci[k] != '.') digits += sci[k];
    std::string out = negative ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
        out += digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "") + "e" +
               (exponent < 0 ? "-" : "+") + (std::abs(exponent) < 10 ? "0" : "") + std::to_string(std::abs(exponent));
    } else if (exponent < 0) {
        out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    } else {
        const std::size_t whole = static_cast<std::size_t>(exponent) + 1;
        if (digits.size() <= whole) out += digits + std::string(whole - digits.size(), '0') + ".0";
        else out += digits.substr(0, whole) + "." + digits.substr(whole);
    }
    return out;
}

std::string python_str(const Node& value, bool nested = false) {
    switch (value.type()) {
        case Node::Type::Null: return "None";
        case Node::Type::Bool: return value.as_bool() ? "True" : "False";
        case Node::Type::Int: return std::to_string(value.as_int());
        case Node::Type::Float: return python_float(value.as_float());
        case Node::Type::String: {
            if (!nested) return value.as_string();
            const bool double_quote = value.as_string().find('\'') != std::string::npos &&
                                      value.as_string().find('"') == std::string::npos;
            const char quote = double_quote ? '"' : '\'';
            std::string out(1, quote);
            for (const char c : value.as_string()) {
                if (c == quote || c == '\\') out += '\\';
                out += c;
            }
            return out + quote;
        }
        case Node::Type::Array: {
            std::string out = "[";
            for (std::size_t i = 0; i < value.array().size(); ++i) out += (i ? ", " : "") + python_str(value.array()[i], true);
            return out + "]";
        }
        case Node::Type::Table: {
            std::string out = "{";
            for (std::size_t i = 0; i < value.table().size(); ++i)
                out += (i ? ", '" : "'") + value.table()[i].first + "': " + python_str(value.table()[i].second, true);
            return out + "}";
        }
    }
    return {};
}

bool truthy(const Node& v) {
    switch (v.type()) {
        case Node::Type::Null: return false;
        case Node::Type::Bool: return v.as_bool();
        case Node::Type::Int: return v.as_int() != 0;
        case Node::Type::Float: return v.as_float() != 0.0;
        case Node::Type::String: return !v.as_string().empty();
        case Node::Type::Array: return !v.array().empty();
        case Node::Type::Table: return !v.table().empty();
    }
    return false;
}

bool numeric(const Node& v) { return v.is_int() || v.is_float() || v.is_bool(); }
bool integral(const Node& v) { return v.is_int() || v.is_bool(); }
std::int64_t int_of(const Node& v) { return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int(); }
double float_of(const Node& v) { return v.is_float() ? v.as_float() : static_cast<double>(int_of(v)); }

std::string type_of(const Node& v) {
    switch (v.type()) {
        case Node::Type::Null: return "None";
        case Node::Type::Bool: return "bool";
        case Node::Type::Int: return "int";
        case Node::Type::Float: return "float";
        case Node::Type::String: return "str";
        case Node::Type::Array: return "list";
        case Node::Type::Table: return "dict";
    }
    return "?";
}

// A value while evaluating: plain, a reference not yet read (it may go on with `.parameters()`),
// or the result of `.parameters()` (a reference to a module).
struct Val {
    Node node;
    std::optional<std::string> ref;  // an unread reference: its absolute path
    bool parameters = false;
};

class Evaluator;

// Reads plain values of the config for references; shared by all expressions of one config.
class Resolver {
public:
    Resolver(Node& root, const std::function<void(const std::string&)>& on_hash) : root_(root), on_hash_(on_hash) {}

    Node evaluate(const Node& expression, const std::string& path);
    Node read(const std::string& path, std::size_t at);
    void used_hash(const std::string& path) {
        if (on_hash_ && hashed_.insert(path).second) on_hash_(path);
    }
    const Node& root() const { return root_; }
    int depth = 0;  // parser levels open over all expressions being evaluated

private:
    Node& root_;
    const std::function<void(const std::string&)>& on_hash_;
    std::map<std::string, Node> done_;
    std::vector<std::string> active_;
    std::set<std::string> hashed_;
    std::size_t copied_ = 0;  // values copied through references
    std::size_t made_ = 0;    // values the expressions made

    Node plain(const Node& node, const std::string& path, std::size_t at, std::size_t hops);
};

class Evaluator {
public:
    Evaluator(Resolver& resolver, std::string_view text, std::string path)
        : resolver_(resolver), tokens_(tokenize(text)), path_(std::move(path)) {}

    Val run() {
        Val v = expression();
        if (peek().kind != Tok::End) fail(peek().at, "unexpected '" + peek().text + "'", kSubset);
        return v;
    }

private:
    Resolver& resolver_;
    std::vector<Token> tokens_;
    std::size_t pos_ = 0;
    std::string path_;
    int depth_ = 0;
    bool live_ = true;  // false inside a branch that is not taken: parse, do not evaluate

    // Bounds the recursion: per expression, and over expressions that read one another.
    struct Depth {
        Evaluator& e;
        explicit Depth(Evaluator& ev) : e(ev) {
            ++e.depth_;
            ++e.resolver_.depth;
            if (e.depth_ > kMaxNesting) fail(e.peek().at, "the expression nests deeper than " + std::to_string(kMaxNesting) + " levels");
            if (e.resolver_.depth > kMaxTotalDepth)
                fail(e.peek().at, "expressions that read one another nest deeper than " + std::to_string(kMaxTotalDepth) + " levels in all");
        }
        ~Depth() {
            --e.depth_;
            --e.resolver_.depth;
        }
    };

    const Token& peek() const { return tokens_[std::min(pos_, tokens_.size() - 1)]; }
    bool at_op(const char* op) const { return peek().kind == Tok::Op && peek().text == op; }
    bool at_name(const char* name) const { return peek().kind == Tok::Name && peek().text == name; }
    void expect(const char* op) {
        if (!at_op(op)) fail(peek().at, std::string("expected '") + op + "'" + (peek().kind == Tok::End ? " at the end" : ", got '" + peek().text + "'"));
        ++pos_;
    }

    Node value(Val v, std::size_t at) {
        if (!live_) return Node();
        if (v.parameters) fail(at, "'.parameters()' is a module's parameters: it can only be the whole expression or a list item");
        if (v.ref) return resolver_.read(*v.ref, at);
        return std::move(v.node);
    }
    Val plain(Node n) { return Val{std::move(n), std::nullopt, false}; }

    Val expression() {
        Depth guard(*this);
        if (!ternary_ahead()) return disjunction();
        // `x if c else y`: c first, then only the branch it picks. x is parsed without evaluating
        // it, and parsed again when c holds (a dead parse never parses twice: linear overall).
        const bool was_live = live_;
        const std::size_t first = pos_;
        live_ = false;
        disjunction();
        live_ = was_live;
        if (!at_name("if")) fail(peek().at, "unexpected '" + peek().text + "'", kSubset);
        ++pos_;
        const std::size_t condition_at = peek().at;
        const bool condition = truthy(value(disjunction(), condition_at));
        if (!at_name("else")) fail(peek().at, "expected 'else' in 'x if condition else y'");
        ++pos_;
        live_ = was_live && !condition;
        Val other = expression();
        live_ = was_live;
        if (!was_live || !condition) return was_live ? other : plain(Node());
        const std::size_t end = pos_;
        pos_ = first;
        const std::size_t at = peek().at;
        Val chosen = plain(value(disjunction(), at));
        pos_ = end;
        return chosen;
    }

    // Whether an `if` follows at this nesting level before the expression ends.
    bool ternary_ahead() const {
        int depth = 0;
        for (std::size_t i = pos_; i < tokens_.size(); ++i) {
            const Token& t = tokens_[i];
            if (t.kind == Tok::End) return false;
            if (t.kind == Tok::Op && (t.text == "(" || t.text == "[")) ++depth;
            if (t.kind == Tok::Op && (t.text == ")" || t.text == "]")) {
                if (depth == 0) return false;
                --depth;
            }
            if (depth > 0) continue;
            if (t.kind == Tok::Op && (t.text == "," || t.text == ":")) return false;
            if (t.kind == Tok::Name && t.text == "else") return false;
            if (t.kind == Tok::Name && t.text == "if") return true;
        }
        return false;
    }

    // and/or return one of their operands, as in Python; the other side is not evaluated.
    Val disjunction() { return logical("or", [this] { return conjunction(); }); }
    Val conjunction() { return logical("and", [this] { return negation(); }); }
    template <class Next>
    Val logical(const char* op, Next next) {
        std::size_t at = peek().at;
        Val left = next();
        while (at_name(op)) {
            ++pos_;
            Node l = value(std::move(left), at);
            const bool decided = std::string(op) == "or" ? truthy(l) : !truthy(l);
            const bool was_live = live_;
            live_ = was_live && !decided;
            at = peek().at;
            Val right = next();
            live_ = was_live;
            left = decided ? plain(std::move(l)) : std::move(right);
        }
        return left;
    }

    Val negation() {
        if (!at_name("not")) return comparison();
        Depth guard(*this);
        const std::size_t at = peek().at;
        ++pos_;
        return plain(Node::make_bool(!truthy(value(negation(), at))));
    }

    Val comparison() {
        std::size_t at = peek().at;
        Val left = arithmetic();
        static const char* const kCompare[] = {"==", "!=", "<", "<=", ">", ">="};
        bool result = true, compared = false;
        while (peek().kind == Tok::Op && std::find_if(std::begin(kCompare), std::end(kCompare), [&](const char* c) { return peek().text == c; }) != std::end(kCompare)) {
            const std::string op = tokens_[pos_++].text;
            Node l = value(std::move(left), at);
            at = peek().at;
            Node r = value(arithmetic(), at);
            if (live_) result = result && compare(l, r, op, at);
            left = plain(std::move(r));
            compared = true;
        }
        return compared ? plain(live_ ? Node::make_bool(result) : Node()) : left;
    }

    static int order(const Node& l, const Node& r, std::size_t at, const std::string& op) {
        if (numeric(l) && numeric(r)) {
            if (integral(l) && integral(r)) return int_of(l) < int_of(r) ? -1 : int_of(l) > int_of(r);
            const double a = float_of(l), b = float_of(r);
            return a < b ? -1 : a > b ? 1 : a == b ? 0 : 2;  // 2: unordered (nan)
        }
        if (l.is_string() && r.is_string()) return l.as_string().compare(r.as_string()) < 0 ? -1 : l.as_string() != r.as_string();
        if (l.is_array() && r.is_array()) {
            for (std::size_t i = 0; i < std::min(l.array().size(), r.array().size()); ++i)
                if (const int c = order(l.array()[i], r.array()[i], at, op); c != 0) return c;
            return l.array().size() < r.array().size() ? -1 : l.array().size() > r.array().size();
        }
        if (op == "==" || op == "!=") return l == r ? 0 : 3;
        fail(at, "'" + op + "' cannot compare " + type_of(l) + " and " + type_of(r));
    }

    static bool compare(const Node& l, const Node& r, const std::string& op, std::size_t at) {
        const int c = order(l, r, at, op);
        if (op == "==") return c == 0;
        if (op == "!=") return c != 0;
        if (c >= 2) return false;
        if (op == "<") return c < 0;
        if (op == "<=") return c <= 0;
        if (op == ">") return c > 0;
        return c >= 0;
    }

    Val arithmetic() { return binary({"+", "-"}, [this] { return term(); }); }
    Val term() { return binary({"*", "/", "//", "%"}, [this] { return unary(); }); }
    template <class Next>
    Val binary(std::initializer_list<const char*> ops, Next next) {
        std::size_t at = peek().at;
        Val left = next();
        while (peek().kind == Tok::Op && std::any_of(ops.begin(), ops.end(), [&](const char* o) { return peek().text == o; })) {
            const Token op = tokens_[pos_++];
            Node l = value(std::move(left), at);
            at = peek().at;
            Node r = value(next(), at);
            left = plain(live_ ? apply(op.text, l, r, op.at) : Node());
        }
        return left;
    }

    Val unary() {
        if (!at_op("-") && !at_op("+")) return power();
        Depth guard(*this);
        const Token op = tokens_[pos_++];
        const std::size_t at = peek().at;
        Node v = value(unary(), at);
        if (!live_) return plain(Node());
        if (!numeric(v)) fail(op.at, "unary '" + op.text + "' needs a number, got " + type_of(v));
        if (op.text == "+") return plain(v.is_bool() ? Node::make_int(int_of(v)) : v);
        if (v.is_float()) return plain(Node::make_float(-v.as_float()));
        if (int_of(v) == INT64_MIN) fail(op.at, "integer overflow");
        return plain(Node::make_int(-int_of(v)));
    }

    Val power() {
        const std::size_t at = peek().at;
        Val base = postfix();
        if (!at_op("**")) return base;
        Depth guard(*this);  // the exponent recurses: 2 ** 2 ** 2 ** ...
        const Token op = tokens_[pos_++];
        Node b = value(std::move(base), at);
        const std::size_t exponent_at = peek().at;
        Node e = value(unary(), exponent_at);
        return plain(live_ ? apply("**", b, e, op.at) : Node());
    }

    Val postfix() {
        const std::size_t at = peek().at;
        Val v = primary();
        while (true) {
            if (at_op("[")) {
                ++pos_;
                const std::size_t index_at = peek().at;
                Node container = value(std::move(v), at);
                Node index = value(expression(), index_at);
                expect("]");
                v = plain(live_ ? subscript(container, index, index_at) : Node());
            } else if (at_op(".")) {
                ++pos_;
                if (peek().kind != Tok::Name) fail(peek().at, "expected a name after '.'");
                const Token name = tokens_[pos_++];
                const bool method = at_op("(");
                const bool parameters = name.text == "parameters" || name.text == "named_parameters";
                if (!v.ref || v.parameters || (method && !parameters))
                    fail(name.at, "'." + name.text + (method ? "()" : "") + "' is not supported", kSubset);
                if (parameters) {
                    expect("(");
                    expect(")");
                    v.parameters = true;
                } else {
                    v.ref = join_key_path(*v.ref, name.text);
                }
            } else if (at_op("(")) {
                fail(peek().at, "only the builtins can be called", kSubset);
            } else {
                return v;
            }
        }
    }

    Val primary() {
        const Token token = peek();
        switch (token.kind) {
            case Tok::Number: ++pos_; return plain(number(token));
            case Tok::String: ++pos_; return plain(Node::make_string(token.text));
            case Tok::FString: ++pos_; return plain(live_ ? fstring(token) : Node());
            case Tok::Ref: {
                ++pos_;
                bool used_hash = false;
                std::string path;
                try {
                    path = absolute_reference(token.text, path_, {}, &used_hash);
                } catch (const ConfigError& error) {
                    fail(token.at, error.message(), error.suggestion());
                }
                if (used_hash) resolver_.used_hash(path_);
                return Val{Node(), path, false};
            }
            case Tok::Name: return name();
            case Tok::Op:
                if (token.text == "(" || token.text == "[") return sequence();
                fail(token.at, "unexpected '" + token.text + "'", kSubset);
            case Tok::End: fail(token.at, "the expression ends too early");
        }
        fail(token.at, "unexpected input");
    }

    Val sequence() {
        const Token open = tokens_[pos_++];
        const char* close = open.text == "(" ? ")" : "]";
        Node::Array items;
        bool comma = false;
        std::optional<Val> single;
        while (!at_op(close)) {
            const std::size_t at = peek().at;
            Val item = expression();
            if (open.text == "(" && !comma && at_op(close)) {
                single = std::move(item);
                break;
            }
            if (items.size() >= kMaxItems) fail(at, "the list is too long");
            items.push_back(item.parameters ? Node::make_string("@" + *item.ref) : value(std::move(item), at));
            if (!at_op(",")) break;
            ++pos_;
            comma = true;
        }
        expect(close);
        if (single) return std::move(*single);  // parentheses around one expression
        return plain(Node::make_array(std::move(items)));
    }

    Val name() {
        const Token token = tokens_[pos_++];
        if (token.text == "True" || token.text == "False") return plain(Node::make_bool(token.text == "True"));
        if (token.text == "None") return plain(Node());
        static const char* const kBuiltins[] = {"len", "min", "max", "abs", "round", "int", "float", "str", "bool", "sum", "range"};
        const bool builtin = std::any_of(std::begin(kBuiltins), std::end(kBuiltins), [&](const char* b) { return token.text == b; });
        if (!builtin) {
            std::vector<std::string> names(std::begin(kBuiltins), std::end(kBuiltins));
            const std::string close = suggest(token.text, names);
            fail(token.at, "'" + token.text + "' is not supported" + (close.empty() ? "" : " (" + close + ")"), kSubset);
        }
        expect("(");
        std::vector<Node> args;
        while (!at_op(")")) {
            const std::size_t at = peek().at;
            args.push_back(value(expression(), at));
            if (!at_op(",")) break;
            ++pos_;
        }
        expect(")");
        return plain(live_ ? call(token.text, args, token.at) : Node());
    }

    static Node number(const Token& token) {
        std::string digits;
        for (const char c : token.text)
            if (c != '_') digits += c;
        const bool is_float = digits.find_first_of(".eE") != std::string::npos && digits.rfind("0x", 0) != 0;
        if (is_float) {
            char* end = nullptr;
            const double v = std::strtod(digits.c_str(), &end);
            if (end != digits.c_str() + digits.size()) fail(token.at, "'" + token.text + "' is not a number");
            if (std::isinf(v)) fail(token.at, "'" + token.text + "' is too large for a float");
            return Node::make_float(v);
        }
        int base = 10;
        std::size_t skip = 0;
        if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'o' || digits[1] == 'b')) {
            base = digits[1] == 'x' ? 16 : digits[1] == 'o' ? 8 : 2;
            skip = 2;
        } else if (digits.size() > 1 && digits[0] == '0') {
            fail(token.at, "'" + token.text + "': leading zeros are not allowed in Python integers");
        }
        std::int64_t v = 0;
        const auto [end, error] = std::from_chars(digits.data() + skip, digits.data() + digits.size(), v, base);
        if (error == std::errc::result_out_of_range) fail(token.at, "'" + token.text + "' does not fit a 64-bit integer");
        if (error != std::errc() || end != digits.data() + digits.size()) fail(token.at, "'" + token.text + "' is not a number");
        return Node::make_int(v);
    }

    Node fstring(const Token& token) {
        const std::string& text = token.text;
        std::string out;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
                out += c;
                ++i;
                continue;
            }
            if (c == '}') fail(token.at, "single '}' in an f-string (write '}}')");
            if (c != '{') {
                out += c;
                continue;
            }
            const std::size_t close = text.find('}', i);
            if (close == std::string::npos) fail(token.at, "'{' without '}' in an f-string");
            std::string inner = text.substr(i + 1, close - i - 1);
            std::string spec;
            if (const std::size_t colon = inner.rfind(':'); colon != std::string::npos && (colon + 1 >= inner.size() || inner[colon + 1] != ':') &&
                                                            (colon == 0 || inner[colon - 1] != ':')) {
                spec = inner.substr(colon + 1);
                inner.resize(colon);
            }
            Evaluator nested(resolver_, inner, path_);
            nested.depth_ = depth_;
            Val v;
            try {
                v = nested.run();
            } catch (const Failure& f) {
                fail(token.at, "in f-string field '{" + inner + "}': " + f.message, f.hint);
            }
            out += formatted(nested.value(std::move(v), token.at), spec, token.at);
            if (out.size() > kMaxConfigBytes) fail(token.at, "the string grows too long");
            i = close;
        }
        return Node::make_string(out);
    }

    static std::string formatted(const Node& v, const std::string& spec, std::size_t at) {
        if (spec.empty()) return python_str(v);
        if (spec == "d" && integral(v)) return std::to_string(int_of(v));
        if (spec.size() >= 3 && spec[0] == '.' && (spec.back() == 'f' || spec.back() == 'e') && numeric(v)) {
            const int places = std::atoi(spec.c_str() + 1);
            if (places < 0 || places > 40) fail(at, "format '" + spec + "' asks for too many digits");
            char buffer[400];
            std::snprintf(buffer, sizeof buffer, spec.back() == 'f' ? "%.*f" : "%.*e", places, float_of(v));
            return buffer;
        }
        fail(at, "format spec ':" + spec + "' is not supported for " + type_of(v), "supported: {x}, {x:d}, {x:.3f}, {x:.2e}");
    }

    static Node subscript(const Node& container, const Node& index, std::size_t at) {
        if (!integral(index)) fail(at, "an index must be an integer, got " + type_of(index));
        const std::size_t size = container.is_array() ? container.array().size() : container.is_string() ? container.as_string().size() : 0;
        if (!container.is_array() && !container.is_string()) fail(at, type_of(container) + " cannot be indexed");
        const auto position = resolve_index(int_of(index), size);
        if (!position) fail(at, "index " + std::to_string(int_of(index)) + " is out of range (length " + std::to_string(size) + ")");
        return container.is_array() ? container.array()[*position] : Node::make_string(std::string(1, container.as_string()[*position]));
    }

    static Node checked_int(bool overflow, const std::int64_t& v, std::size_t at) {
        if (overflow) fail(at, "integer overflow (beyond 64 bits)");
        return Node::make_int(v);
    }

    static Node checked_float(double v, std::size_t at) {
        if (std::isinf(v)) fail(at, "float overflow");
        return Node::make_float(v);
    }

    static Node repeat(const Node& seq, std::int64_t times, std::size_t at) {
        times = std::max<std::int64_t>(times, 0);
        if (seq.is_string()) {
            if (!seq.as_string().empty() && static_cast<std::uint64_t>(times) > kMaxConfigBytes / seq.as_string().size())
                fail(at, "the repeated string would be too long");
            std::string out;
            for (std::int64_t i = 0; i < times; ++i) out += seq.as_string();
            return Node::make_string(out);
        }
        if (!seq.array().empty() && static_cast<std::uint64_t>(times) > kMaxItems / size_of(seq))
            fail(at, "the repeated list would be too long");
        Node::Array out;
        for (std::int64_t i = 0; i < times; ++i) out.insert(out.end(), seq.array().begin(), seq.array().end());
        return Node::make_array(out);
    }

    static Node apply(const std::string& op, const Node& l, const Node& r, std::size_t at) {
        if (op == "+" && l.is_string() && r.is_string()) {
            if (l.as_string().size() + r.as_string().size() > kMaxConfigBytes) fail(at, "the string grows too long");
            return Node::make_string(l.as_string() + r.as_string());
        }
        if (op == "+" && l.is_array() && r.is_array()) {
            if (size_of(l) + size_of(r) > kMaxItems) fail(at, "the list grows too long");
            Node::Array out = l.array();
            out.insert(out.end(), r.array().begin(), r.array().end());
            return Node::make_array(out);
        }
        if (op == "*" && (l.is_string() || l.is_array()) && integral(r)) return repeat(l, int_of(r), at);
        if (op == "*" && (r.is_string() || r.is_array()) && integral(l)) return repeat(r, int_of(l), at);
        if (!numeric(l) || !numeric(r))
            fail(at, "'" + op + "' is not supported between " + type_of(l) + " and " + type_of(r),
                 l.is_string() || r.is_string() ? "convert with str(x) or int(x) first" : "");
        if (integral(l) && integral(r)) return int_op(op, int_of(l), int_of(r), at);
        return float_op(op, float_of(l), float_of(r), at);
    }

    static Node int_op(const std::string& op, std::int64_t a, std::int64_t b, std::size_t at) {
        std::int64_t v = 0;
        if (op == "+") {
            const bool overflow = __builtin_add_overflow(a, b, &v);
            return checked_int(overflow, v, at);
        }
        if (op == "-") {
            const bool overflow = __builtin_sub_overflow(a, b, &v);
            return checked_int(overflow, v, at);
        }
        if (op == "*") {
            const bool overflow = __builtin_mul_overflow(a, b, &v);
            return checked_int(overflow, v, at);
        }
        if (op == "/") {
            if (b == 0) fail(at, "division by zero");
            return Node::make_float(static_cast<double>(a) / static_cast<double>(b));
        }
        if (op == "**") {
            if (b < 0) return float_op(op, static_cast<double>(a), static_cast<double>(b), at);
            if (a == 0 || a == 1) return Node::make_int(b == 0 ? 1 : a);
            if (a == -1) return Node::make_int(b % 2 ? -1 : 1);
            std::int64_t result = 1;  // |a| >= 2: overflows within 63 steps
            for (std::int64_t i = 0; i < b; ++i)
                if (__builtin_mul_overflow(result, a, &result)) fail(at, "integer overflow (beyond 64 bits)");
            return Node::make_int(result);
        }
        if (b == 0) fail(at, op == "%" ? "modulo by zero" : "division by zero");
        if (a == INT64_MIN && b == -1) fail(at, "integer overflow (beyond 64 bits)");
        std::int64_t q = a / b, m = a % b;
        if (m != 0 && ((m < 0) != (b < 0))) {
            --q;
            m += b;
        }
        return Node::make_int(op == "//" ? q : m);
    }

    static Node float_op(const std::string& op, double a, double b, std::size_t at) {
        if (op == "+") return checked_float(a + b, at);
        if (op == "-") return checked_float(a - b, at);
        if (op == "*") return checked_float(a * b, at);
        if (op == "**") {
            if (a == 0 && b < 0) fail(at, "0.0 cannot be raised to a negative power");
            if (a < 0 && b != std::floor(b)) fail(at, "a negative number to a fractional power is complex");
            return checked_float(std::pow(a, b), at);
        }
        if (b == 0) fail(at, op == "%" ? "modulo by zero" : "division by zero");
        if (op == "/") return checked_float(a / b, at);
        const double q = std::floor(a / b);
        return Node::make_float(op == "//" ? q : a - q * b);
    }

    static Node call(const std::string& f, std::vector<Node>& args, std::size_t at) {
        const auto arity = [&](std::size_t low, std::size_t high) {
            if (args.size() < low || args.size() > high)
                fail(at, f + "() takes " + (low == high ? std::to_string(low) : std::to_string(low) + " to " + std::to_string(high)) +
                             " argument(s), got " + std::to_string(args.size()));
        };
        if (f == "len") {
            arity(1, 1);
            if (args[0].is_string()) return Node::make_int(static_cast<std::int64_t>(args[0].as_string().size()));
            if (args[0].is_array()) return Node::make_int(static_cast<std::int64_t>(args[0].array().size()));
            if (args[0].is_table()) return Node::make_int(static_cast<std::int64_t>(args[0].table().size()));
            fail(at, "len() of " + type_of(args[0]));
        }
        if (f == "min" || f == "max" || f == "sum") {
            if (args.empty()) fail(at, f + "() needs arguments");
            const Node::Array items = args.size() == 1 && args[0].is_array() ? args[0].array() : Node::Array(args.begin(), args.end());
            if (f == "sum") {
                Node total = Node::make_int(0);
                for (const Node& item : items) total = apply("+", total, item, at);
                return total;
            }
            if (items.empty()) fail(at, f + "() of an empty list");
            Node best = items[0];
            for (const Node& item : items)
                if (compare(item, best, f == "min" ? "<" : ">", at)) best = item;
            return best;
        }
        if (f == "abs") {
            arity(1, 1);
            if (!numeric(args[0])) fail(at, "abs() of " + type_of(args[0]));
            if (args[0].is_float()) return Node::make_float(std::fabs(args[0].as_float()));
            if (int_of(args[0]) == INT64_MIN) fail(at, "integer overflow (beyond 64 bits)");
            return Node::make_int(std::llabs(int_of(args[0])));
        }
        if (f == "round") {
            arity(1, 2);
            if (!numeric(args[0]) || (args.size() == 2 && !integral(args[1]))) fail(at, "round() takes a number and an integer");
            if (args.size() == 1 || args[1].is_null()) {
                if (integral(args[0])) return Node::make_int(int_of(args[0]));
                const double r = std::nearbyint(args[0].as_float());  // banker's rounding, as Python
                if (!std::isfinite(r) || std::fabs(r) > 9.2e18) fail(at, "round() of " + python_float(args[0].as_float()) + " does not fit an integer");
                return Node::make_int(static_cast<std::int64_t>(r));
            }
            if (integral(args[0])) return Node::make_int(int_of(args[0]));
            const std::int64_t places = std::clamp<std::int64_t>(int_of(args[1]), -308, 308);
            char buffer[800];
            std::snprintf(buffer, sizeof buffer, "%.*f", static_cast<int>(std::max<std::int64_t>(places, 0)), args[0].as_float());
            double v = std::strtod(buffer, nullptr);
            if (places < 0) v = std::nearbyint(args[0].as_float() / std::pow(10.0, -places)) * std::pow(10.0, -places);
            return Node::make_float(v);
        }
        if (f == "int") {
            arity(1, 1);
            if (integral(args[0])) return Node::make_int(int_of(args[0]));
            if (args[0].is_float()) {
                const double v = std::trunc(args[0].as_float());
                if (!std::isfinite(v) || std::fabs(v) > 9.2e18) fail(at, "int() of " + python_float(args[0].as_float()) + " does not fit 64 bits");
                return Node::make_int(static_cast<std::int64_t>(v));
            }
            if (args[0].is_string()) {
                std::string text = args[0].as_string();
                text.erase(0, text.find_first_not_of(" \t"));
                text.erase(text.find_last_not_of(" \t") + 1);
                std::int64_t v = 0;
                const char* first = text.data() + (!text.empty() && text[0] == '+');
                const auto [end, error] = std::from_chars(first, text.data() + text.size(), v);
                if (error == std::errc() && end == text.data() + text.size() && !text.empty()) return Node::make_int(v);
                fail(at, "int() cannot read " + python_str(args[0], true));
            }
            fail(at, "int() of " + type_of(args[0]));
        }
        if (f == "float") {
            arity(1, 1);
            if (numeric(args[0])) return Node::make_float(float_of(args[0]));
            if (args[0].is_string()) {
                const std::string& text = args[0].as_string();
                if (text == "inf" || text == "nan" || text == "-inf") return Node::make_float(std::strtod(text.c_str(), nullptr));
                char* end = nullptr;
                const double v = std::strtod(text.c_str(), &end);
                if (!text.empty() && end == text.c_str() + text.size() && text.find_first_of("xXpP") == std::string::npos)
                    return Node::make_float(v);
                fail(at, "float() cannot read " + python_str(args[0], true));
            }
            fail(at, "float() of " + type_of(args[0]));
        }
        if (f == "str") {
            arity(1, 1);
            std::string text = python_str(args[0]);
            if (text.size() > kMaxConfigBytes) fail(at, "str() would be too long");
            return Node::make_string(std::move(text));
        }
        if (f == "bool") {
            arity(1, 1);
            return Node::make_bool(truthy(args[0]));
        }
        // range
        arity(1, 3);
        for (const Node& a : args)
            if (!integral(a)) fail(at, "range() takes integers, got " + type_of(a));
        const std::int64_t start = args.size() == 1 ? 0 : int_of(args[0]);
        const std::int64_t stop = args.size() == 1 ? int_of(args[0]) : int_of(args[1]);
        const std::int64_t step = args.size() == 3 ? int_of(args[2]) : 1;
        if (step == 0) fail(at, "range() step must not be zero");
        Node::Array out;
        for (std::int64_t v = start; step > 0 ? v < stop : v > stop;) {
            if (static_cast<std::int64_t>(out.size()) >= kMaxRange) fail(at, "range() is too long (at most " + std::to_string(kMaxRange) + " items)");
            out.push_back(Node::make_int(v));
            if (__builtin_add_overflow(v, step, &v)) break;
        }
        return Node::make_array(out);
    }

    friend class Resolver;

public:
    // The final value: `.parameters()` becomes a reference string.
    Node result(Val v) {
        if (v.parameters) return Node::make_string("@" + *v.ref);
        return value(std::move(v), 0);
    }
};

Node Resolver::evaluate(const Node& expression, const std::string& path) {
    if (auto it = done_.find(path); it != done_.end()) return it->second;
    if (std::find(active_.begin(), active_.end(), path) != active_.end() || active_.size() >= kMaxChain) {
        std::string chain;
        for (auto it = std::find(active_.begin(), active_.end(), path); it != active_.end(); ++it) chain += *it + " -> ";
        throw ConfigError(active_.size() >= kMaxChain ? "`$` expressions refer through more than " + std::to_string(kMaxChain) + " others"
                                                      : "`$` expression cycle: " + chain + path,
                          path, expression.loc, "an expression cannot depend on its own value");
    }
    const std::string& text = expression.as_string();
    const std::string shown = text.size() > 80 ? text.substr(0, 80) + "..." : text;
    active_.push_back(path);
    Node result;
    try {
        Evaluator evaluator(*this, std::string_view(text).substr(1), path);
        result = evaluator.result(evaluator.run());
    } catch (const Failure& failure) {
        active_.pop_back();
        throw ConfigError("`$` expression '" + shown + "': " + failure.message + " (at character " +
                              std::to_string(failure.at + 2) + ")",
                          path, expression.loc, failure.hint);
    } catch (...) {
        active_.pop_back();
        throw;
    }
    active_.pop_back();
    made_ += size_of(result);
    if (made_ > kMaxCopiedValues)
        throw ConfigError("`$` expressions make more than " + std::to_string(kMaxCopiedValues) + " values in all", path,
                          expression.loc, kFlattenHint);
    result.loc = expression.loc;
    done_[path] = result;
    return result;
}

Node Resolver::read(const std::string& path, std::size_t at) {
    const std::vector<std::string> parts = split_key_path(path);
    const Node* node = find_path(root_, parts);
    if (!node) {
        const Node* parent = parts.empty() ? nullptr : find_path(root_, std::vector<std::string>(parts.begin(), parts.end() - 1));
        fail(at, "reference '@" + path + "' points to nothing", parent ? suggest(parts.back(), parent->keys()) : "");
    }
    return plain(*node, path, at, 0);
}

// The plain value at `path`: references followed, expressions evaluated, components refused.
Node Resolver::plain(const Node& node, const std::string& path, std::size_t at, std::size_t hops) {
    if (++copied_ > kMaxCopiedValues) fail(at, "references copy more than " + std::to_string(kMaxCopiedValues) + " values");
    if (hops > kMaxChain) fail(at, "references point through more than " + std::to_string(kMaxChain) + " others");
    if (is_expression(node)) {
        Node value = evaluate(node, path);
        copied_ += size_of(value);
        if (copied_ > kMaxCopiedValues) fail(at, "references copy more than " + std::to_string(kMaxCopiedValues) + " values");
        return value;
    }
    if (node.is_string() && node.as_string().size() > 1 && node.as_string()[0] == '@') {
        const std::string target = node.as_string().substr(1);
        const Node* next = find_path(root_, split_key_path(target));
        if (!next) fail(at, "reference '@" + path + "' leads to '" + node.as_string() + "', which points to nothing");
        return plain(*next, target, at, hops + 1);
    }
    if (node.is_table() && node.find("_target_"))
        fail(at, "'@" + path + "' is a component, not a plain value", "use @" + path + ".parameters() for its parameters");
    Node copy = node;
    if (node.is_array()) {
        for (std::size_t i = 0; i < node.array().size(); ++i)
            copy.array()[i] = plain(node.array()[i], join_key_path(path, std::to_string(i)), at, hops);
    } else if (node.is_table()) {
        for (std::size_t i = 0; i < node.table().size(); ++i)
            copy.table()[i].second = plain(node.table()[i].second, join_key_path(path, node.table()[i].first), at, hops);
    }
    return copy;
}

void collect(Node& node, const std::string& path, std::vector<std::pair<std::string, Node*>>& found) {
    if (is_expression(node)) found.emplace_back(path, &node);
    if (node.is_array())
        for (std::size_t i = 0; i < node.array().size(); ++i) collect(node.array()[i], join_key_path(path, std::to_string(i)), found);
    if (node.is_table())
        for (auto& [key, value] : node.table()) collect(value, join_key_path(path, key), found);
}

}  // namespace

bool is_expression(const Node& node) { return node.is_string() && !node.as_string().empty() && node.as_string()[0] == '$'; }

void evaluate_expressions(Node& root, const std::function<void(const std::string&)>& on_hash) {
    std::vector<std::pair<std::string, Node*>> found;
    collect(root, "", found);
    if (found.empty()) return;
    Resolver resolver(root, on_hash);
    std::vector<Node> values;
    for (const auto& [path, node] : found) values.push_back(resolver.evaluate(*node, path));
    // Expressions are strings, never containers: assigning one leaves the other pointers valid.
    for (std::size_t i = 0; i < found.size(); ++i) *found[i].second = std::move(values[i]);
}

}  // namespace lighter::cfg
