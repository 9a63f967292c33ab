#include "engine/model_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace lighter::host {
namespace {

struct Row {
  std::string name, type;
  int64_t params = 0, trainable = 0;
  double bytes = 0;
  bool training = true;
};

// "torch.nn.Sequential" -> "Sequential"; "torch::nn::Linear" -> "Linear".
std::string short_type(std::string name) {
  for (const std::string separator : {"::", "."}) {
    const size_t at = name.rfind(separator);
    if (at != std::string::npos) name = name.substr(at + separator.size());
  }
  return name.empty() ? "?" : name;
}

Row row_of(std::string name, std::string type, torch::nn::Module* module) {
  Row row{std::move(name), short_type(std::move(type))};
  if (!module) return row;
  row.training = module->is_training();
  for (const auto& p : module->parameters()) {
    row.params += p.numel();
    if (p.requires_grad()) row.trainable += p.numel();
    row.bytes += static_cast<double>(p.numel()) * static_cast<double>(p.element_size());
  }
  return row;
}

std::vector<Row> rows_of(Model& model) {
  std::vector<Row> rows;
  if (auto* lighter = dynamic_cast<LighterModule*>(&model)) {
    rows.push_back(row_of("network", lighter->network().target(), lighter->network().ptr().get()));
    if (Module* criterion = lighter->criterion()) rows.push_back(row_of("criterion", criterion->target(), criterion->ptr().get()));
    for (const char* mode : {"train", "val", "test"})
      if (Metric* metrics = lighter->metrics(mode)) rows.push_back(row_of(std::string(mode) + "_metrics", metrics->target(), nullptr));
    return rows;
  }
  for (const auto& child : model.module().named_children())
    rows.push_back(row_of(child.key(), child.value()->name(), child.value().get()));
  return rows;
}

}  // namespace

std::string human_readable_count(int64_t number) {
  static constexpr std::array<const char*, 5> kLabels{" ", "K", "M", "B", "T"};
  const int digits = number > 0 ? static_cast<int>(std::floor(std::log10(static_cast<double>(number)))) + 1 : 1;
  const int groups = std::min<int>(static_cast<int>(kLabels.size()), (digits + 2) / 3);
  const double scaled = static_cast<double>(number) * std::pow(10.0, -3.0 * (groups - 1));
  const int index = groups - 1;
  if (index < 1 || scaled >= 100) return fmt::format("{} {}", static_cast<int64_t>(scaled), kLabels[index]);
  return fmt::format("{:.1f} {}", scaled, kLabels[index]);
}

std::string model_summary(Model& model) {
  const std::vector<Row> rows = rows_of(model);
  int64_t total = 0, trainable = 0, train_modules = 0, eval_modules = 0;
  double bytes = 0;
  for (const Row& row : rows) {
    total += row.params;
    trainable += row.trainable;
    bytes += row.bytes;
  }
  for (const auto& module : model.module().modules()) (module->is_training() ? train_modules : eval_modules) += 1;
  std::vector<std::array<std::string, 5>> cells{{"", "Name", "Type", "Params", "Mode"}};
  for (size_t i = 0; i < rows.size(); ++i)
    cells.push_back({std::to_string(i), rows[i].name, rows[i].type, human_readable_count(rows[i].params),
                     rows[i].training ? "train" : "eval"});
  std::array<size_t, 5> width{};
  for (const auto& line : cells)
    for (size_t c = 0; c < width.size(); ++c) width[c] = std::max(width[c], line[c].size());
  std::string out;
  size_t table_width = 0;
  for (size_t c = 0; c < width.size(); ++c) table_width += width[c] + 3;
  for (size_t r = 0; r < cells.size(); ++r) {
    std::string line;
    for (size_t c = 0; c < width.size(); ++c) line += (c ? " | " : "") + fmt::format("{:<{}}", cells[r][c], width[c]);
    out += line + "\n";
    if (r == 0) out += std::string(table_width, '-') + "\n";
  }
  out += std::string(table_width, '-') + "\n";
  auto footer = [&](const std::string& value, const char* what) { out += fmt::format("{:<10}{}\n", value, what); };
  footer(human_readable_count(trainable), "Trainable params");
  footer(human_readable_count(total - trainable), "Non-trainable params");
  footer(human_readable_count(total), "Total params");
  footer(fmt::format("{:.3f}", bytes / 1e6), "Total estimated model params size (MB)");
  footer(std::to_string(train_modules), "Modules in train mode");
  footer(std::to_string(eval_modules), "Modules in eval mode");
  return out;
}

}  // namespace lighter::host
