#pragma once
// The plugin boundary. Whatever plugin code throws (a std::exception, a c10::Error with its
// backtrace, or `throw 42`) reaches the user as one line naming the plugin file, the component
// (its _target_ and config key) and the call that failed; nothing escapes to std::terminate.
#include <stdexcept>
#include <string>

#include "lighter/object.hpp"

namespace lighter::host {

// A failure inside plugin code, already described. Exit code 1 (the run had started).
class PluginFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where a built object came from; recorded when its factory returns.
struct Origin {
  std::string target;    // its _target_
  std::string key_path;  // "trainer::callbacks::0"; empty when unknown
  std::string file;      // the plugin file; empty for objects the host made itself
};

void record_origin(const ObjectPtr& object, Origin origin);
void forget_origin(const Object* object);
// The recorded origin, or just the object's target() for an object no factory returned.
Origin origin_of(const Object& object);

// The exception being handled (call only inside a catch block), as one line: what() of a
// std::exception (a c10::Error without its backtrace), else "a non-standard exception (TYPE)".
std::string current_exception_text();
bool current_exception_is_standard();
// The first line of `text`.
std::string first_line(const std::string& text);

// Inside a catch block: rethrows errors that already say what they mean (Interrupted, config
// and plugin errors, PluginFailure) and turns anything else into a PluginFailure:
//   plugin FILE: TARGET (KEY) failed in CALL WHERE: WHAT
//   plugin FILE: TARGET (KEY) threw a non-standard exception (int) in CALL WHERE
[[noreturn]] void rethrow_at_boundary(const Object& object, const std::string& call, const std::string& where);

// Runs `body` (a call into `object`'s plugin code) under rethrow_at_boundary; `where()` (only
// called on failure) says when, e.g. "at epoch 0, step 3".
template <class Where, class Body>
auto call_plugin(const Object& object, const char* call, Where&& where, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (...) {
    rethrow_at_boundary(object, call, where());
  }
}

}  // namespace lighter::host
