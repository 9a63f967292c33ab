#include "plugins/library.hpp"

#include <sys/stat.h>

#include <cstring>

namespace lighter::host {

namespace fs = std::filesystem;

std::string host_abi_summary() {
  return "SDK ABI " + std::to_string(LIGHTER_SDK_ABI_MAJOR) + "." + std::to_string(LIGHTER_SDK_ABI_MINOR) +
         ", libtorch " + LIGHTER_TORCH_VERSION + ", " + LIGHTER_CXX_ABI;
}

namespace {

void refuse_unsafe_file(const fs::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) throw PluginError("plugin " + file.string() + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(info.st_mode)) throw PluginError("plugin " + file.string() + ": not a regular file");
  if (info.st_mode & S_IWOTH)
    throw PluginError("plugin " + file.string() +
                      ": refused: the file is world-writable, so anyone could replace the code this host would run; "
                      "fix with `chmod o-w " + file.string() + "`");
}

void check_handshake(const fs::path& file, const lighter_plugin_descriptor& d) {
  const std::string where = "plugin " + file.string() + ": refused: ";
  const std::string fix = "; rebuild the plugin against this host's SDK (pkg-config lighter-sdk)";
  if (d.struct_size < sizeof(lighter_plugin_descriptor) && d.sdk_abi_major == LIGHTER_SDK_ABI_MAJOR)
    throw PluginError(where + "descriptor too small (" + std::to_string(d.struct_size) + " bytes, expected " +
                      std::to_string(sizeof(lighter_plugin_descriptor)) + ")" + fix);
  if (d.sdk_abi_major != LIGHTER_SDK_ABI_MAJOR || d.sdk_abi_minor > LIGHTER_SDK_ABI_MINOR)
    throw PluginError(where + "it was built for SDK ABI " + std::to_string(d.sdk_abi_major) + "." +
                      std::to_string(d.sdk_abi_minor) + ", this lighter-host provides SDK ABI " +
                      std::to_string(LIGHTER_SDK_ABI_MAJOR) + "." + std::to_string(LIGHTER_SDK_ABI_MINOR) +
                      " (same major and a minor no newer are required)" + fix);
  const std::string torch = d.torch_version ? d.torch_version : "(none)";
  if (torch != LIGHTER_TORCH_VERSION)
    throw PluginError(where + "it was built against libtorch " + torch + ", this lighter-host uses libtorch " +
                      LIGHTER_TORCH_VERSION + fix);
  const std::string abi = d.cxx_abi ? d.cxx_abi : "(none)";
  if (abi != LIGHTER_CXX_ABI)
    throw PluginError(where + "it was built with C++ library ABI '" + abi + "', this lighter-host uses '" +
                      LIGHTER_CXX_ABI + "'" + fix);
  if (!d.register_components) throw PluginError(where + "descriptor has no registration function");
}

}  // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::load(const fs::path& file) {
  refuse_unsafe_file(file);
  boost::dll::shared_library library;
  try {
    library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw PluginError("plugin " + file.string() + ": cannot load: " + e.what());
  }
  if (!library.has(LIGHTER_PLUGIN_ENTRY_SYMBOL))
    throw PluginError("plugin " + file.string() + ": not a lighter plugin (no exported " LIGHTER_PLUGIN_ENTRY_SYMBOL
                      " entry point; define one with LIGHTER_PLUGIN)");
  auto entry = library.get<const lighter_plugin_descriptor*()>(LIGHTER_PLUGIN_ENTRY_SYMBOL);
  const lighter_plugin_descriptor* descriptor = entry();
  if (!descriptor) throw PluginError("plugin " + file.string() + ": entry point returned no descriptor");
  check_handshake(file, *descriptor);
  return std::shared_ptr<PluginLibrary>(new PluginLibrary(file, std::move(library), descriptor));
}

void PluginLibrary::register_components(Registrar& registrar) const { descriptor_->register_components(&registrar); }

}  // namespace lighter::host
