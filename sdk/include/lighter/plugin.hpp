#pragma once
// The plugin boundary: one exported C entry point returning a descriptor with the ABI
// handshake. The host reads the descriptor with C layout only; it calls into C++ (the
// registration function) after the SDK ABI, torch version and C++ ABI all match.
//
// A complete plugin (tests/e2e/custom_plugin.sh compiles and loads exactly this snippet):
// BEGIN USAGE
//   #include <lighter/sdk.hpp>
//
//   LIGHTER_PLUGIN(registrar) {
//     registrar.add<lighter::Module>(
//         "Net", "my network: one linear layer", {lighter::param::integer("width", 4, "features in and out")},
//         [](const lighter::Args& a) {
//           const int64_t width = a.get<int64_t>("width");
//           return lighter::make_module(torch::nn::Linear(width, width));
//         });
//   }
// END USAGE
// Build it with `c++ -shared -fPIC net.cpp $(pkg-config --cflags --libs lighter-sdk) -o net.so`
// and name net.so in the project's __lighter__.toml; configs then use `_target_ = "project.Net"`.
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "lighter/args.hpp"
#include "lighter/params.hpp"
#include "lighter/version.hpp"
#include "lighter/writer.hpp"

extern "C" {
struct lighter_plugin_descriptor {
  uint32_t struct_size;  // sizeof(lighter_plugin_descriptor) of the plugin's SDK
  uint32_t sdk_abi_major;
  uint32_t sdk_abi_minor;
  const char* torch_version;  // TORCH_VERSION the plugin was compiled against
  const char* cxx_abi;        // LIGHTER_CXX_ABI of the plugin's compiler and library
  const char* sdk_version;
  void (*register_components)(void* registrar);  // receives a lighter::Registrar*
};
}
#define LIGHTER_PLUGIN_ENTRY_SYMBOL "lighter_plugin_entry"

namespace lighter {

class Registrar {
 public:
  virtual ~Registrar() = default;
  virtual void add(ComponentInfo info) = 0;
  virtual void add_writer(WriterFunction writer) = 0;

  // Typed convenience: the kind comes from T, the factory returns std::shared_ptr<T>.
  template <class T, class F>
  void add(std::string name, std::string doc, std::vector<Param> params, F factory) {
    ComponentInfo info;
    info.name = std::move(name);
    info.kind = T::static_kind;
    info.doc = std::move(doc);
    info.params = std::move(params);
    info.factory = [f = std::move(factory)](const Args& a) -> ObjectPtr { return std::shared_ptr<T>(f(a)); };
    add(std::move(info));
  }
};

}  // namespace lighter

#define LIGHTER_PLUGIN(registrar_name)                                                              \
  static void lighter_register_components_(::lighter::Registrar& registrar_name);                   \
  static void lighter_register_trampoline_(void* r) {                                               \
    lighter_register_components_(*static_cast<::lighter::Registrar*>(r));                           \
  }                                                                                                 \
  extern "C" __attribute__((visibility("default"))) const lighter_plugin_descriptor*                \
  lighter_plugin_entry() {                                                                          \
    static const lighter_plugin_descriptor descriptor{                                              \
        sizeof(lighter_plugin_descriptor), LIGHTER_SDK_ABI_MAJOR, LIGHTER_SDK_ABI_MINOR,             \
        LIGHTER_TORCH_VERSION,             LIGHTER_CXX_ABI,       LIGHTER_VERSION_STRING,            \
        &lighter_register_trampoline_};                                                             \
    return &descriptor;                                                                             \
  }                                                                                                 \
  static void lighter_register_components_(::lighter::Registrar& registrar_name)
