#pragma once
// Data components. A batch is an ordered map of name -> tensor / list / scalar / string;
// the built-in datasets yield `input`, `target` and `id` (the sample's index in its dataset).
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "lighter/object.hpp"

namespace lighter {

// An insertion-ordered map of name -> IValue (tensor, list, number, string, nested dict): a
// batch, a step's outputs, a checkpoint entry. Small, with value semantics.
class Dict {
 public:
  using Entry = std::pair<std::string, c10::IValue>;
  Dict() = default;
  Dict(std::initializer_list<Entry> entries) : entries_(entries) {}

  bool contains(const std::string& key) const { return find(key) != nullptr; }
  const c10::IValue* find(const std::string& key) const;
  const c10::IValue& at(const std::string& key) const;  // throws std::out_of_range naming the keys
  torch::Tensor tensor(const std::string& key) const { return at(key).toTensor(); }
  void set(const std::string& key, c10::IValue value);  // insert or replace in place
  bool erase(const std::string& key);
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<std::string> keys() const;
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

  // As a torch generic dict (for nesting and for torch.load-compatible files), and back.
  c10::IValue to_ivalue() const;
  static Dict from_ivalue(const c10::IValue& value);

 private:
  std::vector<Entry> entries_;
};

class Dataset : public Object {
 public:
  static constexpr Kind static_kind = Kind::Dataset;
  Kind kind() const override { return Kind::Dataset; }

  virtual int64_t size() const = 0;
  // One sample; `generator` drives random transforms so data order and augmentation follow the seed.
  virtual Dict get(int64_t index, torch::Generator& generator) const = 0;
  // Several samples collated into one batch. The default stacks get(); in-memory datasets
  // override it to gather whole batches at once (no per-sample tensor overhead).
  virtual Dict get_batch(const std::vector<int64_t>& indices, torch::Generator& generator) const;
};

// Stacks same-keyed samples: tensors along a new dim 0, numbers into a tensor, strings into a list.
Dict collate(const std::vector<Dict>& samples);

class Transform : public Object {
 public:
  static constexpr Kind static_kind = Kind::Transform;
  Kind kind() const override { return Kind::Transform; }
  // Applies to one sample's tensor (C,H,W for images).
  virtual torch::Tensor apply(const torch::Tensor& sample, torch::Generator& generator) const = 0;
  // False for transforms that draw no random numbers: those may process a batch in one call.
  virtual bool random() const { return true; }
  // A batch [B, ...]: by default apply() per sample in order (the same draws as per-sample
  // calls); deterministic transforms override it to work on the whole batch at once.
  virtual torch::Tensor apply_batch(const torch::Tensor& batch, torch::Generator& generator) const;
};

class DataLoader : public Object {
 public:
  static constexpr Kind static_kind = Kind::DataLoader;
  Kind kind() const override { return Kind::DataLoader; }

  // Batches per epoch.
  virtual int64_t num_batches() const = 0;
  // Starts an epoch; the order depends only on (seed, epoch), so a resumed run sees the same data.
  virtual void start_epoch(int64_t epoch) = 0;
  // The next batch, or nullopt at the end of the epoch.
  virtual std::optional<Dict> next() = 0;
  virtual int64_t batch_size() const = 0;
};

class DataModule : public Object {
 public:
  static constexpr Kind static_kind = Kind::DataModule;
  Kind kind() const override { return Kind::DataModule; }

  virtual void setup(const std::string& /*stage*/) {}
  virtual std::shared_ptr<DataLoader> train_dataloader() { return nullptr; }
  virtual std::shared_ptr<DataLoader> val_dataloader() { return nullptr; }
  virtual std::shared_ptr<DataLoader> test_dataloader() { return nullptr; }
  virtual std::shared_ptr<DataLoader> predict_dataloader() { return nullptr; }
};

}  // namespace lighter
