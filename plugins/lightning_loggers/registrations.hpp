#pragma once
// Lightning's experiment loggers, one file each, and where they write.
#include <lighter/plugin.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lighter::lightning {
void register_csv_logger(Registrar& registrar);          // pytorch_lightning.loggers.CSVLogger
void register_tensorboard_logger(Registrar& registrar);  // pytorch_lightning.loggers.TensorBoardLogger

// A logger's save_dir / name / version parameters. Without save_dir a logger writes into the
// run directory the host hands it; with one, into Lightning's <save_dir>/<name>/version_<N>.
struct LogLocation {
  std::optional<std::string> save_dir;
  std::string name;
  Value version;  // null: the next free version_<N>; an integer N: version_<N>; a string: as is
};
std::vector<Param> location_params();
LogLocation location_from(const Args& args);
// Empty when neither save_dir nor a run directory is set: the logger then writes nothing.
std::filesystem::path resolve_log_dir(const LogLocation& location, const std::filesystem::path& run_dir);
}  // namespace lighter::lightning
