#include "lighter/data.hpp"

#include <stdexcept>

namespace lighter {

const c10::IValue* Dict::find(const std::string& key) const {
  for (const auto& [k, v] : entries_)
    if (k == key) return &v;
  return nullptr;
}

const c10::IValue& Dict::at(const std::string& key) const {
  if (const auto* v = find(key)) return *v;
  std::string known;
  for (const auto& [k, v] : entries_) known += (known.empty() ? "'" : ", '") + k + "'";
  throw std::out_of_range("no key '" + key + "' (keys: " + (known.empty() ? "none" : known) + ")");
}

void Dict::set(const std::string& key, c10::IValue value) {
  for (auto& [k, v] : entries_)
    if (k == key) {
      v = std::move(value);
      return;
    }
  entries_.emplace_back(key, std::move(value));
}

bool Dict::erase(const std::string& key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it)
    if (it->first == key) {
      entries_.erase(it);
      return true;
    }
  return false;
}

std::vector<std::string> Dict::keys() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.first);
  return out;
}

c10::IValue Dict::to_ivalue() const {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  for (const auto& [k, v] : entries_) dict.insert(k, v);
  return dict;
}

Dict Dict::from_ivalue(const c10::IValue& value) {
  Dict out;
  for (const auto& e : value.toGenericDict()) out.entries_.emplace_back(e.key().toStringRef(), e.value());
  return out;
}

Dict Dataset::get_batch(const std::vector<int64_t>& indices, torch::Generator& generator) const {
  std::vector<Dict> samples;
  samples.reserve(indices.size());
  for (int64_t i : indices) samples.push_back(get(i, generator));
  return collate(samples);
}

torch::Tensor Transform::apply_batch(const torch::Tensor& batch, torch::Generator& generator) const {
  std::vector<torch::Tensor> samples;
  samples.reserve(static_cast<size_t>(batch.size(0)));
  for (int64_t i = 0; i < batch.size(0); ++i) samples.push_back(apply(batch[i], generator));
  return torch::stack(samples);
}

Dict collate(const std::vector<Dict>& samples) {
  Dict batch;
  if (samples.empty()) return batch;
  for (const auto& [key, first] : samples.front()) {
    auto each = [&](auto&& fn) {
      for (size_t i = 0; i < samples.size(); ++i) {
        if (!samples[i].contains(key))
          throw std::runtime_error("collate: sample " + std::to_string(i) + " has no key '" + key + "'");
        fn(samples[i].at(key));
      }
    };
    if (first.isTensor()) {
      std::vector<torch::Tensor> parts;
      each([&](const c10::IValue& v) { parts.push_back(v.toTensor()); });
      batch.set(key, torch::stack(parts));
    } else if (first.isInt()) {
      std::vector<int64_t> parts;
      each([&](const c10::IValue& v) { parts.push_back(v.toInt()); });
      batch.set(key, torch::tensor(parts, torch::kLong));
    } else if (first.isDouble()) {
      std::vector<double> parts;
      each([&](const c10::IValue& v) { parts.push_back(v.toDouble()); });
      batch.set(key, torch::tensor(parts, torch::kDouble));
    } else if (first.isString()) {
      c10::List<std::string> parts;
      each([&](const c10::IValue& v) { parts.push_back(v.toStringRef()); });
      batch.set(key, parts);
    } else {
      c10::impl::GenericList parts(c10::AnyType::get());
      each([&](const c10::IValue& v) { parts.push_back(v); });
      batch.set(key, parts);
    }
  }
  return batch;
}

}  // namespace lighter
