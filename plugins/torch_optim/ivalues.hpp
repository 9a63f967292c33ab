#pragma once
// Reading and writing the plain Python containers of torch.optim state dicts as c10::IValues.
// Checkpoints loaded back with torch::pickle_load hold dicts typed Any -> Any, so lookups go
// through IValue keys and numbers are accepted as int, float or 0-dim tensor (Python's "step").
#include <lighter/sdk.hpp>

#include <optional>
#include <string>
#include <vector>

namespace lighter::torch_optim {

using GenericDict = c10::impl::GenericDict;
using GenericList = c10::impl::GenericList;

inline GenericDict string_keyed() { return GenericDict(c10::StringType::get(), c10::AnyType::get()); }
inline GenericDict int_keyed() { return GenericDict(c10::IntType::get(), c10::AnyType::get()); }
inline GenericList any_list() { return GenericList(c10::AnyType::get()); }

// `where` names the place for messages: "optimizer state param_groups[0]".
const c10::IValue* find(const GenericDict& dict, const std::string& key);
const c10::IValue& require(const GenericDict& dict, const std::string& key, const std::string& where);
const c10::IValue& require(const Dict& dict, const std::string& key, const std::string& where);

double to_double(const c10::IValue& value, const std::string& what);
int64_t to_int(const c10::IValue& value, const std::string& what);
bool to_bool(const c10::IValue& value, const std::string& what);
std::vector<c10::IValue> elements(const c10::IValue& list_or_tuple, const std::string& what);
std::vector<double> to_doubles(const c10::IValue& list_or_tuple, const std::string& what);

// nullopt when the key is absent (state dicts of older or newer PyTorch versions differ).
std::optional<double> optional_double(const GenericDict& dict, const std::string& key, const std::string& where);
std::optional<bool> optional_bool(const GenericDict& dict, const std::string& key, const std::string& where);

c10::IValue doubles(const std::vector<double>& values);

}  // namespace lighter::torch_optim
