#include "config/python_ops.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "config/keypath.hpp"
#include "config/limits.hpp"
#include "lighter/python_float.hpp"

namespace lighter::cfg::expr {

using lighter::python_float;

// Helpers of the public functions (not in the header).
int order(const Node& l, const Node& r, std::size_t at, const std::string& op);
Node int_op(const std::string& op, std::int64_t a, std::int64_t b, std::size_t at);
Node float_op(const std::string& op, double a, double b, std::size_t at);

std::string python_str(const Node& value, bool nested) {
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

int order(const Node& l, const Node& r, std::size_t at, const std::string& op) {
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

bool compare(const Node& l, const Node& r, const std::string& op, std::size_t at) {
    const int c = order(l, r, at, op);
    if (op == "==") return c == 0;
    if (op == "!=") return c != 0;
    if (c >= 2) return false;
    if (op == "<") return c < 0;
    if (op == "<=") return c <= 0;
    if (op == ">") return c > 0;
    return c >= 0;
}

std::string formatted(const Node& v, const std::string& spec, std::size_t at) {
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

Node subscript(const Node& container, const Node& index, std::size_t at) {
    if (!integral(index)) fail(at, "an index must be an integer, got " + type_of(index));
    const std::size_t size = container.is_array() ? container.array().size() : container.is_string() ? container.as_string().size() : 0;
    if (!container.is_array() && !container.is_string()) fail(at, type_of(container) + " cannot be indexed");
    const auto position = resolve_index(int_of(index), size);
    if (!position) fail(at, "index " + std::to_string(int_of(index)) + " is out of range (length " + std::to_string(size) + ")");
    return container.is_array() ? container.array()[*position] : Node::make_string(std::string(1, container.as_string()[*position]));
}

Node checked_int(bool overflow, const std::int64_t& v, std::size_t at) {
    if (overflow) fail(at, "integer overflow (beyond 64 bits)");
    return Node::make_int(v);
}

Node checked_float(double v, std::size_t at) {
    if (std::isinf(v)) fail(at, "float overflow");
    return Node::make_float(v);
}

Node repeat(const Node& seq, std::int64_t times, std::size_t at) {
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

Node apply(const std::string& op, const Node& l, const Node& r, std::size_t at) {
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

Node int_op(const std::string& op, std::int64_t a, std::int64_t b, std::size_t at) {
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

Node float_op(const std::string& op, double a, double b, std::size_t at) {
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

Node call_builtin(const std::string& f, std::vector<Node>& args, std::size_t at) {
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


}  // namespace lighter::cfg::expr
