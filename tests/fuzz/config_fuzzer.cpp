// libFuzzer target for the config language: parse, compose two files, apply overrides, expand
// macros and references, print. Built and run by tools/fuzz, outside meson (no torch needed).
//
// An input is up to three parts separated by a line "----": the text of a.toml, of b.yaml, and
// one override per line. The files are written to a scratch directory, so macros (in the files
// and in overrides) can name them (`%b.yaml::x`). A ConfigError is the expected outcome of bad
// input; anything else that escapes (another exception, a crash, a sanitizer report, a hang) is
// a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "build/expand.hpp"
#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/parse.hpp"
#include "config/print.hpp"

namespace fs = std::filesystem;
using namespace lighter;

namespace {

fs::path scratch;

void remove_scratch() {
    std::error_code ignored;
    fs::remove_all(scratch, ignored);
}

std::vector<std::string> split_parts(const std::string& input) {
    std::vector<std::string> parts{""};
    size_t start = 0;
    while (start <= input.size() && parts.size() < 3) {
        const size_t marker = input.find("\n----\n", start);
        if (marker == std::string::npos) break;
        parts.back() = input.substr(start, marker - start);
        parts.emplace_back();
        start = marker + 6;
    }
    parts.back() = input.substr(std::min(start, input.size()));
    parts.resize(3);
    return parts;
}

// Overrides' macros resolve against the working directory: point `%a.toml` and `%b.toml` at the
// scratch files (the fuzzer itself must not change directory, or it loses its relative paths).
std::string in_scratch(std::string line) {
    for (const std::string name : {"%a.toml", "%b.yaml"}) {
        const std::string absolute = "%" + (scratch / name.substr(1)).string();
        for (size_t at = line.find(name); at != std::string::npos; at = line.find(name, at + absolute.size()))
            line.replace(at, name.size(), absolute);
    }
    return line;
}

void write(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    char name[] = "/tmp/lighter-fuzz-XXXXXX";
    if (!::mkdtemp(name)) std::abort();
    scratch = name;
    std::atexit(remove_scratch);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<std::string> parts = split_parts(std::string(reinterpret_cast<const char*>(data), size));
    write(scratch / "a.toml", parts[0]);
    write(scratch / "b.yaml", parts[1]);
    std::vector<std::string> inputs{(scratch / "a.toml").string(), (scratch / "b.yaml").string()};
    size_t start = 0;
    while (start < parts[2].size()) {
        size_t end = parts[2].find('\n', start);
        if (end == std::string::npos) end = parts[2].size();
        const std::string line = parts[2].substr(start, end - start);
        // Only overrides: any other line would name a file to read.
        if (line.find('=') != std::string::npos || (!line.empty() && line.front() == '~')) inputs.push_back(in_scratch(line));
        start = end + 1;
    }

    try {
        const cfg::Node root = cfg::load_inputs(inputs);
        const cfg::Node expanded = host::expand_plain_references(root);
        try {
            (void)cfg::to_toml(expanded);
        } catch (const std::invalid_argument&) {
            // null has no TOML form: --print-config reports it
        }
        // What --print-config --format yaml prints reads back to the same config.
        const std::string printed = cfg::to_yaml(expanded);
        if (cfg::to_yaml(cfg::parse_yaml_string(printed, "printed.yaml")) != printed) std::abort();
    } catch (const cfg::ConfigError&) {
    }
    return 0;
}
