#pragma once
// DataLoader(on_device=true): the whole dataset computed once and kept on the device the stage
// runs on, so a batch is one index_select there: no loading per batch, no host-to-device copy,
// nothing a step waits for.
#include <lighter/data.hpp>

#include <string>
#include <utility>
#include <vector>

namespace lighter::data {

class DeviceResident {
 public:
  // Every sample of `dataset` through its own get_batch (deterministic transforms applied once),
  // in chunks, onto `device`; `unused` is handed to get_batch (the dataset draws nothing). Every
  // value of a batch must be a tensor with a row per sample.
  DeviceResident(const Dataset& dataset, torch::Device device, torch::Generator& unused);
  torch::Device device() const { return device_; }
  // The epoch's visiting order (this rank's share), copied to the device once per epoch.
  void set_order(const std::vector<int64_t>& order);
  // The samples at positions [begin, end) of the order.
  Dict batch(int64_t begin, int64_t end) const;

 private:
  torch::Device device_;
  std::vector<std::pair<std::string, torch::Tensor>> columns_;
  torch::Tensor order_;
};

}  // namespace lighter::data
