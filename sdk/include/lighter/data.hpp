#pragma once
// Data components. A batch is an ordered map of name -> tensor / list / scalar / string;
// the built-in datasets yield `input`, `target` and `id` (the sample's index in its dataset).
#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lighter/object.hpp"

namespace lighter {

// An insertion-ordered map of name -> IValue (tensor, list, number, string, nested dict): a
// batch, a step's outputs, a checkpoint entry. Small, with value semantics.
// A value may be lazy (set_lazy): it is computed on its first read, so a step can offer outputs
// (say, softmax probabilities) that cost nothing when no one reads them. Reading computes in
// place, so one Dict with lazy values must not be read from two threads at once.
class Dict {
 public:
  using Entry = std::pair<std::string, c10::IValue>;
  using Make = std::function<c10::IValue()>;
  Dict() = default;
  Dict(std::initializer_list<Entry> entries) : entries_(entries) {}

  bool contains(const std::string& key) const { return index_of(key) != entries_.size(); }  // computes nothing
  const c10::IValue* find(const std::string& key) const;
  const c10::IValue& at(const std::string& key) const;  // throws std::out_of_range naming the keys
  torch::Tensor tensor(const std::string& key) const { return at(key).toTensor(); }
  void set(const std::string& key, c10::IValue value);  // insert or replace in place
  void set_lazy(const std::string& key, Make make);     // as set(), computed on first read
  bool erase(const std::string& key);
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<std::string> keys() const;
  // Iterating computes every lazy value first.
  std::vector<Entry>::const_iterator begin() const;
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }

  // As a torch generic dict (for nesting and for torch.load-compatible files), and back.
  c10::IValue to_ivalue() const;
  static Dict from_ivalue(const c10::IValue& value);

 private:
  size_t index_of(const std::string& key) const;  // size() when absent
  void resolve(size_t index) const;
  void resolve_all() const;
  void drop_pending(size_t index);

  mutable std::vector<Entry> entries_;
  mutable std::vector<std::pair<size_t, Make>> pending_;  // entry index -> how to compute it
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
  // False when get() and get_batch() draw no random numbers (no random transforms): the loader
  // then skips seeding a generator for every batch.
  virtual bool random() const { return true; }
};

// The indices of a batch as an int64 tensor for index_select, after checking each lies in
// [0, size); the error names the dataset (`what`).
torch::Tensor batch_indices(const std::vector<int64_t>& indices, int64_t size, const std::string& what);

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
