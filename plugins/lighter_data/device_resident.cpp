#include "device_resident.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>


namespace lighter::data {

namespace {
// Samples gathered per get_batch call: small enough that the dataset's temporaries stay in the
// allocator's reuse (a third of the time 4096 took on the 2-core machine), large enough to batch.
constexpr int64_t kChunk = 512;
}  // namespace

DeviceResident::DeviceResident(const Dataset& dataset, torch::Device device, torch::Generator& unused)
    : device_(device) {
  const int64_t n = dataset.size();
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t rows = std::min(kChunk, n - begin);
    std::vector<int64_t> indices(static_cast<size_t>(rows));
    std::iota(indices.begin(), indices.end(), begin);
    const Dict chunk = dataset.get_batch(indices, unused);
    size_t column = 0;
    for (const auto& [key, value] : chunk) {
      if (!value.isTensor() || value.toTensor().dim() == 0 || value.toTensor().size(0) != rows)
        throw std::runtime_error("DataLoader(on_device=true): the dataset's '" + key +
                                 "' is not a tensor with a row per sample (on_device keeps only such tensors; "
                                 "drop on_device for this dataset)");
      const torch::Tensor& part = value.toTensor();
      if (begin == 0) {  // the whole column, allocated once where it will live
        std::vector<int64_t> shape = part.sizes().vec();
        shape[0] = n;
        columns_.emplace_back(key, torch::empty(shape, part.options().device(device_)));
      }
      if (column >= columns_.size() || columns_[column].first != key ||
          part.sizes().slice(1) != columns_[column].second.sizes().slice(1) ||
          part.scalar_type() != columns_[column].second.scalar_type())
        throw std::runtime_error("DataLoader(on_device=true): the dataset's batches differ in their keys, shapes or "
                                 "dtypes ('" + key + "'), so they cannot be kept as one tensor each");
      columns_[column++].second.narrow(0, begin, rows).copy_(part);
    }
    if (column != columns_.size())
      throw std::runtime_error("DataLoader(on_device=true): the dataset's batches do not all hold the same keys");
  }
}

void DeviceResident::set_order(const std::vector<int64_t>& order) {
  order_ = torch::tensor(order, torch::kLong).to(device_);
}

Dict DeviceResident::batch(int64_t begin, int64_t end) const {
  const torch::Tensor indices = order_.narrow(0, begin, end - begin);
  Dict out;
  for (const auto& [key, column] : columns_) out.set(key, column.index_select(0, indices));
  return out;
}

}  // namespace lighter::data
