#include <lighter/sdk.hpp>

#include <algorithm>
#include <string>

#include "registrations.hpp"

namespace fs = std::filesystem;

namespace lighter::lightning {

namespace {
Param or_null(Param p) {
  p.type = p.type | Type::Null;
  p.default_value = Value();
  return p;
}

int64_t next_free_version(const fs::path& root) {
  int64_t next = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root, error)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind("version_", 0) != 0) continue;
    const std::string digits = name.substr(8);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    next = std::max<int64_t>(next, std::stoll(digits) + 1);
  }
  return next;
}
}  // namespace

std::vector<Param> location_params() {
  Param version = or_null(param::any("version", std::nullopt, "version_<N> folder under save_dir/name, or a folder name (default: the next free N)"));
  version.type = Type::Int | Type::String | Type::Null;
  return {or_null(param::string("save_dir", std::nullopt, "root folder (default: write into the run directory)")),
          param::string("name", "lighter_logs", "experiment folder under save_dir"), version};
}

LogLocation location_from(const Args& args) {
  LogLocation location{args.get_optional<std::string>("save_dir"), args.get<std::string>("name"), args.get<Value>("version")};
  if (location.version.is_int() && location.version.as_int() < 0)
    args.fail("version", "must be >= 0, got " + location.version.repr());
  return location;
}

fs::path resolve_log_dir(const LogLocation& location, const fs::path& run_dir) {
  if (!location.save_dir) return run_dir;
  const fs::path root = location.name.empty() ? fs::path(*location.save_dir) : fs::path(*location.save_dir) / location.name;
  if (location.version.is_string()) return root / location.version.as_string();
  const int64_t version = location.version.is_int() ? location.version.as_int() : next_free_version(root);
  return root / ("version_" + std::to_string(version));
}

}  // namespace lighter::lightning
