#pragma once
// `enable_model_summary`: Lightning's ModelSummary (max_depth 1) printed at the start of fit:
//   | Name      | Type             | Params | Mode
// then trainable / non-trainable / total parameters and their size in MB.
#include <string>

#include "lighter/model.hpp"

namespace lighter::host {

std::string model_summary(Model& model);

// Lightning's get_human_readable_count: 0 -> "0  ", 1290 -> "1.3 K", 235146 -> "235 K".
std::string human_readable_count(int64_t number);

}  // namespace lighter::host
