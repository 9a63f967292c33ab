#pragma once
// The view a factory gets of its config table. Declared parameters are already validated
// (known keys, types, required keys) when a factory runs; getters fill in declared defaults.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "lighter/object.hpp"
#include "lighter/value.hpp"

namespace lighter {

// Thrown by Args::fail and by the host for config problems; rendered as one line
// `error: FILE: KEY::PATH: MESSAGE` and exit code 2.
class ParamError : public std::runtime_error {
 public:
  ParamError(std::string key_path, std::string message)
      : std::runtime_error(key_path + ": " + message), key_path_(std::move(key_path)), message_(std::move(message)) {}
  const std::string& key_path() const { return key_path_; }
  const std::string& message() const { return message_; }

 private:
  std::string key_path_, message_;
};

class Args {
 public:
  virtual ~Args() = default;

  const std::string& target() const { return target_; }
  const std::string& path() const { return path_; }  // "model::network" — for messages

  // True when the key is set to something other than null (explicitly or by default).
  bool has(const std::string& key) const { return !value(key).is_null(); }

  // Typed getters: bool, int64_t/int, double, std::string, std::vector of those, Value.
  template <class T>
  T get(const std::string& key) const {
    return convert<T>(key, value(key));
  }
  template <class T>
  std::optional<T> get_optional(const std::string& key) const {
    Value v = value(key);
    if (v.is_null()) return std::nullopt;
    return convert<T>(key, v);
  }

  // A nested component, built by the host (shared if it is an `@reference`). Null -> nullptr.
  template <class T = Object>
  std::shared_ptr<T> component(const std::string& key) const {
    return cast<T>(key, object(key));
  }
  // A list of components (`_args_` for positional ones); `_disabled_` ones are already gone.
  template <class T = Object>
  std::vector<std::shared_ptr<T>> components(const std::string& key) const {
    std::vector<std::shared_ptr<T>> out;
    auto all = objects(key);
    for (size_t i = 0; i < all.size(); ++i) out.push_back(cast<T>(key + "::" + std::to_string(i), all[i]));
    return out;
  }

  // A table of named components (`metrics = { f1 = {...}, acc = {...} }`) as (key, component)
  // in table order; a list (or a single component) gives empty keys.
  template <class T = Object>
  std::vector<std::pair<std::string, std::shared_ptr<T>>> named_components(const std::string& key) const {
    std::vector<std::pair<std::string, std::shared_ptr<T>>> out;
    const auto all = objects(key);
    const auto names = object_names(key);
    for (size_t i = 0; i < all.size(); ++i) {
      const std::string name = i < names.size() ? names[i] : std::string();
      out.emplace_back(name, cast<T>(key + "::" + (name.empty() ? std::to_string(i) : name), all[i]));
    }
    return out;
  }

  // A problem only the component can see (a bad combination, a missing file): one clear line.
  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw ParamError(key.empty() ? path_ : (path_.empty() ? key : path_ + "::" + key), message);
  }

  // Hooks the host implements.
  virtual Value value(const std::string& key) const = 0;
  virtual ObjectPtr object(const std::string& key) const = 0;
  virtual std::vector<ObjectPtr> objects(const std::string& key) const = 0;
  // The keys of a table of components, aligned with objects(key); empty for a list.
  virtual std::vector<std::string> object_names(const std::string& /*key*/) const { return {}; }

 protected:
  Args(std::string target, std::string path) : target_(std::move(target)), path_(std::move(path)) {}

 private:
  template <class T>
  std::shared_ptr<T> cast(const std::string& key, const ObjectPtr& obj) const {
    if (!obj) return nullptr;
    auto typed = std::dynamic_pointer_cast<T>(obj);
    if (!typed) fail(key, "expected " + expected_name<T>() + ", got " + obj->target() + " (" + kind_name(obj->kind()) + ")");
    return typed;
  }
  template <class T>
  static std::string expected_name() {
    if constexpr (std::is_same_v<T, Object>) return "a component";
    else return "a " + std::string(kind_name(T::static_kind)) + " component";
  }

  template <class T>
  T convert(const std::string& key, const Value& v) const;

  std::string target_, path_;
};

template <class T>
T Args::convert(const std::string& key, const Value& v) const {
  auto wrong = [&](const char* expected) -> T {
    fail(key, std::string("expected ") + expected + ", got " + v.type_name() + " " + v.repr());
  };
  if constexpr (std::is_same_v<T, Value>) {
    return v;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v.is_bool() ? v.as_bool() : wrong("a boolean");
  } else if constexpr (std::is_integral_v<T>) {
    if (!v.is_int()) return wrong("an integer");
    const int64_t n = v.as_int();
    const bool fits = std::is_signed_v<T> ? n >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                                                n <= static_cast<int64_t>(std::numeric_limits<T>::max())
                                          : n >= 0 && static_cast<uint64_t>(n) <= static_cast<uint64_t>(std::numeric_limits<T>::max());
    if (!fits)
      fail(key, "expected an integer from " + std::to_string(std::numeric_limits<T>::min()) + " to " +
                    std::to_string(std::numeric_limits<T>::max()) + ", got " + v.repr());
    return static_cast<T>(n);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) return wrong("a number");
    const double x = v.as_number();
    if (std::isfinite(x) && std::fabs(x) > static_cast<double>(std::numeric_limits<T>::max()))
      fail(key, "expected a number of at most " + std::to_string(std::numeric_limits<T>::max()) + " in magnitude, got " + v.repr());
    return static_cast<T>(x);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return v.is_string() ? v.as_string() : wrong("a string");
  } else {
    using E = typename T::value_type;
    if (!v.is_array()) return wrong("a list");
    T out;
    for (size_t i = 0; i < v.as_array().size(); ++i) out.push_back(convert<E>(key + "::" + std::to_string(i), v.as_array()[i]));
    return out;
  }
}

}  // namespace lighter
