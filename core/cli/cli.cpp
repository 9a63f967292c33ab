#include "cli/cli.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "build/builder.hpp"
#include "cli/plugins_command.hpp"
#include "config/error.hpp"
#include "engine/interrupt.hpp"
#include "engine/runner.hpp"
#include "lighter/version.hpp"
#include "plugins/boundary.hpp"
#include "plugins/library.hpp"

namespace po = boost::program_options;

namespace lighter::host {

namespace {

const char* const kUsage =
    "usage: lighter-host fit|validate|test|predict INPUT... [--ckpt_path P] [--weights_only]\n"
    "                    [--verbose] [--return_predictions] [--print-config [--format toml|yaml]]\n"
    "                    [--dry-run]\n"
    "       lighter-host plugins [--describe NAME]\n"
    "       lighter-host --help | --version\n";

const char* const kHelp =
    "\n"
    "INPUT is a config file (TOML, or YAML: .yaml/.yml) or an override `key::path=VALUE`;\n"
    "`a.toml,b.yaml` equals `a.toml b.yaml`. Inputs apply left to right. `=key::path=VALUE`\n"
    "replaces, `~key::path` deletes, `key::path=null` sets None.\n"
    "\n"
    "Stage options:\n"
    "  --ckpt_path P         checkpoint to start from: last, best or a path (args::<stage>::ckpt_path)\n"
    "  --weights_only        load only the model weights from the checkpoint\n"
    "  --verbose             print the results table (validate, test; on by default)\n"
    "  --return_predictions  keep predict outputs in memory (predict; on by default)\n"
    "  --print-config        print the merged config and exit (in the first config file's format)\n"
    "  --format toml|yaml    the format --print-config prints\n"
    "  --dry-run             build every component (catching config errors) without running\n"
    "\n"
    "Exit codes: 0 success, 2 usage or config error (nothing run), 1 runtime failure,\n"
    "130 interrupted. Environment: LIGHTER_DEBUG=1, LIGHTER_PLUGIN_PATH=dir:dir,\n"
    "PL_GLOBAL_SEED / LIGHTER_SEED.\n";

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void setup_logging() {
  auto logger = spdlog::stderr_color_mt("lighter");
  logger->set_pattern("%^[%l]%$ %v");
  const char* debug = std::getenv("LIGHTER_DEBUG");
  logger->set_level(debug && std::string(debug) != "0" && *debug ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
  cfg::set_warning_sink([](const std::string& message) { spdlog::warn("{}", message); });
}

const std::vector<std::string> kStageFlags{"--ckpt_path", "--weights_only", "--verbose", "--return_predictions",
                                           "--print-config", "--format", "--dry-run", "--help"};

// Flags are accepted with '-' or '_' between words (`--ckpt-path`, `--dry_run`), as each is
// written somewhere in Lightning's and Lighter's documentation.
std::string canonical_flag(const std::string& arg) {
  if (arg.rfind("--", 0) != 0) return arg;
  const size_t equals = arg.find('=');
  std::string name = arg.substr(0, equals);
  for (const std::string& known : kStageFlags) {
    std::string a = name, b = known;
    std::replace(a.begin(), a.end(), '-', '_');
    std::replace(b.begin(), b.end(), '-', '_');
    if (a == b) name = known;
  }
  return equals == std::string::npos ? name : name + arg.substr(equals);
}

int stage_command(const std::string& stage, const std::vector<std::string>& raw) {
  po::options_description options;
  options.add_options()("inputs", po::value<std::vector<std::string>>()->multitoken(), "")(
      "ckpt_path", po::value<std::string>(), "")("weights_only", "")("verbose", "")("return_predictions", "")(
      "print-config", "")("format", po::value<std::string>(), "")("dry-run", "")("help,h", "");
  po::positional_options_description positional;
  positional.add("inputs", -1);
  std::vector<std::string> rest;
  for (const std::string& arg : raw) rest.push_back(canonical_flag(arg));
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(rest).options(options).positional(positional).run(), vm);
  } catch (const po::unknown_option& e) {
    const std::string flag = e.get_option_name();
    const std::string hint = cfg::suggest(flag, kStageFlags);
    throw UsageError("unknown option '" + flag + "'" + (hint.empty() ? "" : " (" + hint + ")"));
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()));
  }
  if (vm.count("help")) {
    std::fputs((std::string(kUsage) + kHelp).c_str(), stdout);
    return kExitOk;
  }
  if (!vm.count("inputs")) throw UsageError(stage + " needs at least one config file");
  const bool eval = stage == "validate" || stage == "test";
  if (vm.count("verbose") && !eval) throw UsageError("--verbose applies to validate and test, not " + stage);
  if (vm.count("return_predictions") && stage != "predict") throw UsageError("--return_predictions applies to predict only");
  StageFlags flags;
  if (vm.count("ckpt_path")) flags.ckpt_path = vm["ckpt_path"].as<std::string>();
  if (vm.count("weights_only")) flags.weights_only = true;
  if (vm.count("verbose")) flags.verbose = true;
  if (vm.count("return_predictions")) flags.return_predictions = true;
  flags.print_config = vm.count("print-config") > 0;
  if (vm.count("format")) {
    const std::string format = vm["format"].as<std::string>();
    if (format != "toml" && format != "yaml")
      throw UsageError("--format takes toml or yaml, got '" + format + "'");
    if (!flags.print_config) throw UsageError("--format applies to --print-config");
    flags.print_format = format;
  }
  flags.dry_run = vm.count("dry-run") > 0;
  return run_stage(stage, vm["inputs"].as<std::vector<std::string>>(), flags);
}

int plugins_subcommand(const std::vector<std::string>& rest) {
  po::options_description options;
  options.add_options()("describe", po::value<std::string>(), "")("help,h", "")(
      "stray", po::value<std::vector<std::string>>(), "");
  po::positional_options_description positional;
  positional.add("stray", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(rest).options(options).positional(positional).run(), vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()));
  }
  if (vm.count("stray"))
    throw UsageError("plugins takes no arguments, got '" + vm["stray"].as<std::vector<std::string>>().front() +
                     "' (to show one component: plugins --describe NAME)");
  if (vm.count("help")) {
    std::fputs("usage: lighter-host plugins [--describe NAME]\n", stdout);
    return kExitOk;
  }
  std::optional<std::string> name;
  if (vm.count("describe")) name = vm["describe"].as<std::string>();
  return plugins_command(name);
}

int dispatch(const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError("no command given");
  const std::string& command = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  const bool help = command == "--help" || command == "-h" || command == "help";
  if ((help || command == "--version") && !rest.empty())
    throw UsageError(command + " takes no arguments, got '" + rest.front() + "'");
  if (help) {
    std::fputs((std::string(kUsage) + kHelp).c_str(), stdout);
    return kExitOk;
  }
  if (command == "--version") {
    std::fputs(fmt::format("lighter-host {} (SDK ABI {}.{}, libtorch {})\n", LIGHTER_VERSION_STRING, LIGHTER_SDK_ABI_MAJOR,
                           LIGHTER_SDK_ABI_MINOR, LIGHTER_TORCH_VERSION)
                   .c_str(),
               stdout);
    return kExitOk;
  }
  if (command == "fit" || command == "validate" || command == "test" || command == "predict") return stage_command(command, rest);
  if (command == "plugins") return plugins_subcommand(rest);
  throw UsageError("unknown command '" + command + "'" + [&] {
    std::string hint = cfg::suggest(command, {"fit", "validate", "test", "predict", "plugins"});
    return hint.empty() ? std::string() : " (" + hint + ")";
  }());
}

void print_error(const std::string& line) { std::fputs((line + "\n").c_str(), stderr); }

}  // namespace

int run_cli(const std::vector<std::string>& args) {
  try {
    setup_logging();
    const int code = dispatch(args);
    if (code == kExitOk && interrupt_requested()) {
      spdlog::warn("stopped by a signal");
      return kExitInterrupted;
    }
    return code;
  } catch (const UsageError& e) {
    print_error(std::string("error: ") + e.what());
    std::fputs(kUsage, stderr);
    return kExitUsage;
  } catch (const cfg::ConfigError& e) {
    print_error(e.what());
    return kExitUsage;
  } catch (const PluginError& e) {
    print_error(std::string("error: ") + e.what());
    return kExitUsage;
  } catch (const ParamError& e) {
    print_error(std::string("error: ") + e.what());
    return kExitUsage;
  } catch (const BuildError& e) {
    // Building from config happens before the run directory exists: nothing ran (rule in cli.hpp).
    print_error(std::string("error: ") + e.what());
    return kExitUsage;
  } catch (const Interrupted& e) {
    spdlog::warn("stopped by a signal {}", e.what());
    return kExitInterrupted;
  } catch (...) {
    print_error("error: " + current_exception_text());
    return interrupt_requested() ? kExitInterrupted : kExitFailure;
  }
}

}  // namespace lighter::host
