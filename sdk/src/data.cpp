#include "lighter/data.hpp"

#include <algorithm>
#include <stdexcept>

namespace lighter {

size_t Dict::index_of(const std::string& key) const {
  for (size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].first == key) return i;
  return entries_.size();
}

void Dict::resolve(size_t index) const {
  for (size_t p = 0; p < pending_.size(); ++p)
    if (pending_[p].first == index) {
      c10::IValue value = pending_[p].second();  // if it throws, the value stays lazy
      pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(p));
      entries_[index].second = std::move(value);
      return;
    }
}

void Dict::drop_pending(size_t index) {
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(), [index](const auto& p) { return p.first == index; }),
                 pending_.end());
}

void Dict::resolve_all() const {
  while (!pending_.empty()) resolve(pending_.front().first);
}

std::vector<Dict::Entry>::const_iterator Dict::begin() const {
  resolve_all();
  return entries_.begin();
}

const c10::IValue* Dict::find(const std::string& key) const {
  const size_t i = index_of(key);
  if (i == entries_.size()) return nullptr;
  if (!pending_.empty()) resolve(i);
  return &entries_[i].second;
}

const c10::IValue& Dict::at(const std::string& key) const {
  if (const auto* v = find(key)) return *v;
  std::string known;
  for (const auto& [k, v] : entries_) known += (known.empty() ? "'" : ", '") + k + "'";
  throw std::out_of_range("no key '" + key + "' (keys: " + (known.empty() ? "none" : known) + ")");
}

void Dict::set(const std::string& key, c10::IValue value) {
  const size_t i = index_of(key);
  if (i == entries_.size()) {
    entries_.emplace_back(key, std::move(value));
    return;
  }
  drop_pending(i);
  entries_[i].second = std::move(value);
}

void Dict::set_lazy(const std::string& key, Make make) {
  if (!make) throw std::invalid_argument("Dict::set_lazy('" + key + "'): no function to compute the value");
  set(key, c10::IValue());
  pending_.emplace_back(index_of(key), std::move(make));
}

bool Dict::erase(const std::string& key) {
  const size_t i = index_of(key);
  if (i == entries_.size()) return false;
  drop_pending(i);
  for (auto& p : pending_)
    if (p.first > i) --p.first;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
  return true;
}

std::vector<std::string> Dict::keys() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.first);
  return out;
}

c10::IValue Dict::to_ivalue() const {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  for (const auto& [k, v] : *this) dict.insert(k, v);
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

torch::Tensor batch_indices(const std::vector<int64_t>& indices, int64_t size, const std::string& what) {
  if (indices.empty()) return torch::empty({0}, torch::kLong);
  const auto [lo, hi] = std::minmax_element(indices.begin(), indices.end());
  for (const int64_t index : {*lo, *hi})
    if (index < 0 || index >= size)
      throw std::out_of_range(what + ": index " + std::to_string(index) + " out of range for " + std::to_string(size) +
                              " samples");
  return torch::from_blob(const_cast<int64_t*>(indices.data()), {static_cast<int64_t>(indices.size())}, torch::kLong)
      .clone();
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
  for (const auto& entry : samples.front()) {
    const std::string& key = entry.first;  // not a structured binding: lambdas capture it (clang 14)
    const c10::IValue& first = entry.second;
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
