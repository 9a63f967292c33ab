#include "plugins/boundary.hpp"

#include <cxxabi.h>

#include <c10/util/Exception.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "config/error.hpp"
#include "engine/interrupt.hpp"
#include "lighter/args.hpp"
#include "plugins/library.hpp"

namespace lighter::host {

namespace {

// By address. No weak_ptr: its control block's code lives in the plugin, which may be unloaded
// before the table lets go. tie_to_library's holder forgets an object before destroying it.
std::mutex origins_mutex;
std::map<const Object*, Origin>& origins() {
  static auto* table = new std::map<const Object*, Origin>();  // never destroyed: usable at exit
  return *table;
}

std::string demangled_current_exception_type() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  if (!type) return "unknown type";
  int status = 0;
  char* name = abi::__cxa_demangle(type->name(), nullptr, nullptr, &status);
  std::string out = status == 0 && name ? name : type->name();
  std::free(name);
  return out;
}

}  // namespace

void record_origin(const ObjectPtr& object, Origin origin) {
  if (!object) return;
  std::lock_guard<std::mutex> lock(origins_mutex);
  origins()[object.get()] = std::move(origin);
}

void forget_origin(const Object* object) {
  std::lock_guard<std::mutex> lock(origins_mutex);
  origins().erase(object);
}

Origin origin_of(const Object& object) {
  {
    std::lock_guard<std::mutex> lock(origins_mutex);
    auto it = origins().find(&object);
    if (it != origins().end()) return it->second;
  }
  return Origin{object.target(), "", ""};
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

bool current_exception_is_standard() {
  try {
    throw;
  } catch (const std::exception&) {
    return true;
  } catch (...) {
    return false;
  }
}

std::string current_exception_text() {
  try {
    throw;
  } catch (const c10::Error& e) {
    return first_line(e.what_without_backtrace());
  } catch (const std::exception& e) {
    return first_line(e.what());
  } catch (...) {
    return "a non-standard exception (" + demangled_current_exception_type() + ")";
  }
}

void rethrow_at_boundary(const Object& object, const std::string& call, const std::string& where) {
  try {
    throw;
  } catch (const Interrupted&) {
    throw;
  } catch (const PluginFailure&) {
    throw;
  } catch (const PluginError&) {
    throw;
  } catch (const cfg::ConfigError&) {
    throw;
  } catch (const ParamError&) {
    throw;
  } catch (...) {
    const Origin origin = origin_of(object);
    std::string who = origin.file.empty() ? "" : "plugin " + origin.file + ": ";
    who += origin.target.empty() ? std::string("a component") : origin.target;
    if (!origin.key_path.empty()) who += " (" + origin.key_path + ")";
    const std::string when = call + (where.empty() ? "" : " " + where);
    if (!current_exception_is_standard())
      throw PluginFailure(who + " threw " + current_exception_text() + " in " + when);
    throw PluginFailure(who + " failed in " + when + ": " + current_exception_text());
  }
}

}  // namespace lighter::host
