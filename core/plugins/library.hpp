#pragma once
// One loaded plugin file. Loading checks the ABI handshake before any C++ crosses the boundary;
// the returned PluginLibrary must outlive every object the plugin made (see tie_to_library).
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>

#include "lighter/plugin.hpp"
#include "plugins/boundary.hpp"

namespace lighter::host {

// A plugin file that cannot be used: not a plugin, wrong ABI, world-writable. Exit code 2.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PluginLibrary {
 public:
  // Loads and handshakes; throws PluginError naming the file and both sides of a mismatch.
  static std::shared_ptr<PluginLibrary> load(const std::filesystem::path& file);

  const std::filesystem::path& path() const { return path_; }
  const lighter_plugin_descriptor& descriptor() const { return *descriptor_; }
  // Runs the plugin's registration function against `registrar`.
  void register_components(Registrar& registrar) const;

 private:
  PluginLibrary(std::filesystem::path path, boost::dll::shared_library library, const lighter_plugin_descriptor* d)
      : path_(std::move(path)), library_(std::move(library)), descriptor_(d) {}

  std::filesystem::path path_;
  boost::dll::shared_library library_;
  const lighter_plugin_descriptor* descriptor_;
};

using LibraryPtr = std::shared_ptr<const PluginLibrary>;

// Returns a pointer to `object` that also keeps `library` loaded; the object is destroyed
// before the library can be unloaded. A null library (host-made object) returns `object`.
template <class T>
std::shared_ptr<T> tie_to_library(std::shared_ptr<T> object, LibraryPtr library) {
  if (!object || !library) return object;
  struct Holder {
    Holder(LibraryPtr l, std::shared_ptr<T> o) : library(std::move(l)), object(std::move(o)) {}
    ~Holder() {
      if constexpr (std::is_base_of_v<Object, T>) forget_origin(object.get());
    }
    LibraryPtr library;  // declared first: destroyed last
    std::shared_ptr<T> object;
  };
  auto holder = std::make_shared<Holder>(std::move(library), std::move(object));
  return std::shared_ptr<T>(holder, holder->object.get());
}

// What this host was built with, in the descriptor's terms (for messages and tests).
std::string host_abi_summary();

}  // namespace lighter::host
