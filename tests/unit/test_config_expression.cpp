// `$` expressions: the supported subset with Python's results, and one clear error for the rest.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "config/error.hpp"
#include "config/expression.hpp"
#include "config/keypath.hpp"
#include "config/parse.hpp"

using namespace lighter::cfg;

namespace {

const char* const kVars =
    "[vars]\nlr = 0.001\nn = 7\nname = \"mnist\"\nfold = 3\nout = \"runs\"\nsizes = [4, 9, 2]\nflag = true\n"
    "alias = \"@vars::n\"\n[model.net]\n_target_ = \"torch.nn.Linear\"\n[model.net.encoder]\n_target_ = \"X\"\n";

// The value of `expression` written at x::y of a config holding kVars.
Node eval(const std::string& expression) {
    Node root = parse_string(std::string(kVars) + "[x]\ny = '''" + expression + "'''\n", "run.toml");
    evaluate_expressions(root);
    return *find_path(root, {"x", "y"});
}

// Without the TOML round: for expressions longer than a TOML line may be.
Node eval_long(const std::string& expression) {
    Node root = parse_string(kVars, "run.toml");
    root.set("x", Node::make_table({{"y", Node::make_string(expression)}}));
    evaluate_expressions(root);
    return *find_path(root, {"x", "y"});
}

std::string eval_error(const std::string& expression) {
    try {
        if (expression.size() > 1000) eval_long(expression);
        else eval(expression);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("expressions: arithmetic and comparisons as in Python", "[config][expression]") {
    CHECK(eval("$@vars::lr * 2") == Node::make_float(0.002));
    CHECK(eval("$1e-3 / 4") == Node::make_float(0.00025));
    CHECK(eval("$int(@vars::n / 2)") == Node::make_int(3));
    CHECK(eval("$@vars::n // 2") == Node::make_int(3));
    CHECK(eval("$-7 // 2") == Node::make_int(-4));
    CHECK(eval("$-7 % 3") == Node::make_int(2));
    CHECK(eval("$7.5 % -2") == Node::make_float(-0.5));
    CHECK(eval("$2 ** 10") == Node::make_int(1024));
    CHECK(eval("$-2 ** 2") == Node::make_int(-4));
    CHECK(eval("$2 ** -1") == Node::make_float(0.5));
    CHECK(eval("$2 ** 3 ** 2") == Node::make_int(512));
    CHECK(eval("$(1 + 2) * 3") == Node::make_int(9));
    CHECK(eval("$True + 1") == Node::make_int(2));
    CHECK(eval("$1 < 2 < 3") == Node::make_bool(true));
    CHECK(eval("$1 < 3 < 2") == Node::make_bool(false));
    CHECK(eval("$1 == 1.0") == Node::make_bool(true));
    CHECK(eval("$'a' != 'b'") == Node::make_bool(true));
    CHECK(eval("$@vars::n if @vars::flag else 0") == Node::make_int(7));
    CHECK(eval("$1 / 0 if False else 5") == Node::make_int(5));  // the branch not taken is not evaluated
    CHECK(eval("$0 or 'x'") == Node::make_string("x"));
    CHECK(eval("$not @vars::flag and 1 / 0") == Node::make_bool(false));
    CHECK(eval("$1 if 1 / 1 else 1 / 0") == Node::make_int(1));
    CHECK(eval("$(1 / 0 if False else 2) if True else 3") == Node::make_int(2));
    CHECK(eval("$[1 if False else 2, 3 if True else 4]") == parse_string("v = [2, 3]", "t").table()[0].second);
    CHECK(eval("$'a' if False else 'b' if True else 'c'") == Node::make_string("b"));
    CHECK(eval("$@vars::alias + 1") == Node::make_int(8));
}

TEST_CASE("expressions: strings, f-strings, lists and builtins", "[config][expression]") {
    CHECK(eval("$@vars::out + '/preds.csv'") == Node::make_string("runs/preds.csv"));
    CHECK(eval("$f\"{@vars::name}_{@vars::fold}\"") == Node::make_string("mnist_3"));
    CHECK(eval("$f'{@vars::lr:.4f} {@vars::n:d} {{x}} {@vars::lr}'") == Node::make_string("0.0010 7 {x} 0.001"));
    CHECK(eval("$str(1e16) + str(0.0001) + str(1e-05) + str(2.0) + str(None) + str([1, 'a'])") ==
          Node::make_string("1e+160.00011e-052.0None[1, 'a']"));
    CHECK(eval("$[1, 'a', [2.5]]") == parse_string("v = [1, 'a', [2.5]]", "t").table()[0].second);
    CHECK(eval("$(1, 2)") == parse_string("v = [1, 2]", "t").table()[0].second);
    CHECK(eval("$len(@vars::sizes) + len('abc')") == Node::make_int(6));
    CHECK(eval("$max(@vars::sizes)") == Node::make_int(9));
    CHECK(eval("$min(3, 1.5)") == Node::make_float(1.5));
    CHECK(eval("$abs(-4)") == Node::make_int(4));
    CHECK(eval("$round(2.5)") == Node::make_int(2));
    CHECK(eval("$round(3.14159, 2)") == Node::make_float(3.14));
    CHECK(eval("$sum(@vars::sizes)") == Node::make_int(15));
    CHECK(eval("$float('1e-3')") == Node::make_float(0.001));
    CHECK(eval("$int(' 12 ')") == Node::make_int(12));
    CHECK(eval("$bool([])") == Node::make_bool(false));
    CHECK(eval("$range(3)") == parse_string("v = [0, 1, 2]", "t").table()[0].second);
    CHECK(eval("$@vars::sizes[-1]") == Node::make_int(2));
    CHECK(eval("$'ab' * 2") == Node::make_string("abab"));
    CHECK(eval("$[0] * 3 + [1]") == parse_string("v = [0, 0, 0, 1]", "t").table()[0].second);
}

TEST_CASE("expressions: parameters() become references; relative ids and '#'", "[config][expression]") {
    CHECK(eval("$@model::net.parameters()") == Node::make_string("@model::net"));
    CHECK(eval("$@model::net.encoder.named_parameters()") == Node::make_string("@model::net::encoder"));
    Node root = parse_string(std::string(kVars) +
                                 "[opt]\nparams = [{ params = \"$@model::net.encoder.parameters()\", lr = \"$@vars::lr * 10\" }]\n"
                                 "[x]\na = 2\nb = \"$@::a * 3\"\nc = \"$@::::vars::n + @::b\"\nd = \"$@vars#n\"\n",
                             "run.toml");
    std::vector<std::string> hashed;
    evaluate_expressions(root, [&](const std::string& path) { hashed.push_back(path); });
    CHECK(*find_path(root, {"opt", "params", "0", "params"}) == Node::make_string("@model::net::encoder"));
    CHECK(*find_path(root, {"opt", "params", "0", "lr"}) == Node::make_float(0.01));
    CHECK(*find_path(root, {"x", "b"}) == Node::make_int(6));
    CHECK(*find_path(root, {"x", "c"}) == Node::make_int(13));
    CHECK(*find_path(root, {"x", "d"}) == Node::make_int(7));
    CHECK(hashed == std::vector<std::string>{"x::d"});
    CHECK(find_path(root, {"x", "b"})->loc.str() == "run.toml:18:5");
}

TEST_CASE("expressions: everything outside the subset is one clear error", "[config][expression]") {
    CHECK(eval_error("$torch.cuda.device_count()") ==
          "error: run.toml:15:5: x::y: `$` expression '$torch.cuda.device_count()': 'torch' is not supported (at "
          "character 2) (a `$` expression may use numbers, strings, f-strings, lists, @references, + - * / // % **, "
          "comparisons, and/or/not, `x if c else y`, indexing, len/min/max/abs/round/int/float/str/bool/sum/range and "
          "@path.parameters())");
    CHECK_THAT(eval_error("$lenn(@vars::sizes)"), Catch::Contains("(did you mean 'len'?)"));
    CHECK_THAT(eval_error("$__import__('os').system('x')"), Catch::Contains("'__import__' is not supported"));
    CHECK_THAT(eval_error("$@vars::name.upper()"), Catch::Contains("'.upper()' is not supported"));
    CHECK_THAT(eval_error("$@vars::n("), Catch::Contains("only the builtins can be called"));
    CHECK_THAT(eval_error("$1 +"), Catch::Contains("the expression ends too early"));
    CHECK_THAT(eval_error("$(1 + 2"), Catch::Contains("expected ')' at the end"));
    CHECK_THAT(eval_error("$'abc"), Catch::Contains("unterminated string"));
    CHECK_THAT(eval_error("$1 / 0"), Catch::Contains("division by zero"));
    CHECK_THAT(eval_error("$5 % 0"), Catch::Contains("modulo by zero"));
    CHECK_THAT(eval_error("$9223372036854775807 + 1"), Catch::Contains("integer overflow"));
    CHECK_THAT(eval_error("$2 ** 64"), Catch::Contains("integer overflow"));
    CHECK_THAT(eval_error("$99999999999999999999"), Catch::Contains("does not fit a 64-bit integer"));
    CHECK_THAT(eval_error("$1e308 * 10"), Catch::Contains("float overflow"));
    CHECK_THAT(eval_error("$'x' * 100000000000"), Catch::Contains("too long"));
    CHECK_THAT(eval_error("$range(10000000000)"), Catch::Contains("range() is too long"));
    CHECK_THAT(eval_error("$'a' + 1"), Catch::Contains("'+' is not supported between str and int"));
    CHECK_THAT(eval_error("$@vars::sizes[5]"), Catch::Contains("index 5 is out of range (length 3)"));
    CHECK_THAT(eval_error("$@vars::nn"), Catch::Contains("reference '@vars::nn' points to nothing (at character 2) (did you mean 'n'?)"));
    CHECK_THAT(eval_error("$@model::net + 1"), Catch::Contains("'@model::net' is a component, not a plain value"));
    CHECK_THAT(eval_error("$@model::net.parameters() + 1"), Catch::Contains("can only be the whole expression"));
    CHECK_THAT(eval_error("$" + std::string(10000, '(') + "1" + std::string(10000, ')')), Catch::Contains("nests deeper than 64"));
    CHECK_THAT(eval_error("$-" + std::string(10000, '-') + "1"), Catch::Contains("nests deeper than 64"));
    std::string power = "$2";
    for (int i = 0; i < 5000; ++i) power += "**2";
    CHECK_THAT(eval_error(power), Catch::Contains("nests deeper than 64"));
    CHECK_THAT(eval_error("$" + std::string(5000, '[') + std::string(5000, ']')), Catch::Contains("nests deeper than 64"));
    std::string nots = "$";
    for (int i = 0; i < 3000; ++i) nots += "not ";
    CHECK_THAT(eval_error(nots + "1"), Catch::Contains("nests deeper than 64"));
    CHECK_THAT(eval_error("$f'{1 +}'"), Catch::Contains("in f-string field '{1 +}'"));
    CHECK_THAT(eval_error("$f'{@vars::n:>5}'"), Catch::Contains("format spec ':>5' is not supported"));
    CHECK_THAT(eval_error("$1 if True"), Catch::Contains("expected 'else'"));
    CHECK_THAT(eval_error("$x = 1"), Catch::Contains("'=' is not supported"));
    CHECK_THAT(eval_error("$@::::::::z"), Catch::Contains("above the top of the config"));

    // 64 expressions, each 60 levels deep with the next one read at the bottom.
    Node chain = Node::make_table();
    for (int i = 0; i < 64; ++i) {
        const std::string next = i == 63 ? "1" : "@e" + std::to_string(i + 1) + " + 0";
        chain.set("e" + std::to_string(i), Node::make_string("$" + std::string(60, '(') + next + std::string(60, ')')));
    }
    CHECK_THROWS_WITH(evaluate_expressions(chain), Catch::Contains("expressions that read one another nest deeper than 256"));

    Node cycle = parse_string("a = \"$@b + 1\"\nb = \"$@a + 1\"\n", "run.toml");
    CHECK_THROWS_WITH(evaluate_expressions(cycle), Catch::Contains("`$` expression cycle: a -> b -> a"));
}

TEST_CASE("expressions: random token soup gives a value or a ConfigError, quickly", "[config][expression]") {
    const std::vector<std::string> tokens{"@vars::n", "@vars::sizes", "@model::net", "@::", "(", ")", "[", "]", "+", "-",
                                          "*", "**", "/", "//", "%", "'x'", "f\"{", "}", "\"", "1e308", "0", "-1",
                                          "9223372036854775807", "2.5", "if", "else", "and", "or", "not", "len(",
                                          "range(", "str(", "round(", ",", ".", ".parameters()", "==", "<", "True",
                                          "None", "{", ":", "@vars#n", "max(", "int("};
    std::mt19937 random(12345);
    const auto start = std::chrono::steady_clock::now();
    int values = 0, errors = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string text = "$";
        const int length = 1 + static_cast<int>(random() % 12);
        for (int t = 0; t < length; ++t) text += tokens[random() % tokens.size()] + (random() % 2 ? " " : "");
        Node root = Node::make_table({{"vars", parse_string("n = 3\nsizes = [1, 2]", "t")},
                                      {"model", parse_string("net = { _target_ = \"X\" }", "t")},
                                      {"x", Node::make_string(text)}});
        if (std::getenv("LIGHTER_SHOW_SOUP")) std::fprintf(stderr, "%s\n", text.c_str());
        try {
            evaluate_expressions(root);
            ++values;
        } catch (const ConfigError&) {
            ++errors;
        } catch (const std::exception& e) {
            FAIL(text << ": " << e.what());
        }
    }
    CHECK(values > 0);
    CHECK(errors > 0);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(60));
}
