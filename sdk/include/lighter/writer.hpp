#pragma once
// FileWriter's writer functions: a name (`writer_fn = "tensor"`), the file suffix it writes and
// the function. Plugins add their own through Registrar::add_writer; names are unique.
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace lighter {

struct WriterFunction {
  std::string name;
  std::string suffix;  // ".pt", ".png", ...
  std::string doc;
  // Writes `value` to `file` (the suffix already appended); throws with a clear message.
  std::function<void(const std::filesystem::path& file, const c10::IValue& value)> write;
};

// Looks a writer function up in the host's registry (null when unknown).
const WriterFunction* find_writer(const std::string& name);
std::vector<std::string> writer_names();

}  // namespace lighter
