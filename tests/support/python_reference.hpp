#pragma once
// Reference values from Python, for tests that compare with formulas written out in NumPy.
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace lighter::test {
// A tensor as a Python list literal (values printed exactly enough to round-trip float32).
std::string py_list(const torch::Tensor& t);
// The numbers a Python script prints, when /usr/bin/python3 has torch and numpy (else nullopt,
// with a warning: the comparison is skipped; under CI=true the test fails instead).
std::optional<std::vector<double>> python_numbers(const std::string& script);
}  // namespace lighter::test
