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
#include "config/expression_tokens.hpp"
#include "config/python_ops.hpp"

namespace lighter::cfg {
namespace {

using namespace expr;

const char* const kSubset =
    "a `$` expression may use numbers, strings, f-strings, lists, @references, + - * / // % **, comparisons, "
    "and/or/not, `x if c else y`, indexing, len/min/max/abs/round/int/float/str/bool/sum/range and "
    "@path.parameters()";
constexpr int kMaxTotalDepth = 4 * kMaxNesting;


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
        : resolver_(resolver), tokens_(tokenize(text, kSubset)), path_(std::move(path)) {}

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
        return plain(live_ ? call_builtin(token.text, args, token.at) : Node());
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
