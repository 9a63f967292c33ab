// lighter.callbacks.FileWriter: during predict, writes each sample of one predict-step output to
// its own file in `directory`, through a writer function picked by name (`writer_fn`). Files are
// named by the global sample index (rank + k * world_size, counted over the predict epoch) or by
// the per-sample values of `name_key`; names never leave the directory. Each file is written to a
// temp file beside it and renamed, so a crash leaves no half-written file. Two samples of one
// rank named alike are an error unless `overwrite` is set.
#include <lighter/sdk.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "registrations.hpp"

namespace lighter::callbacks {

namespace {
namespace fs = std::filesystem;

const std::string prefix = "lighter.callbacks.FileWriter: ";

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(prefix + message); }

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "'" : ", '") + item + "'";
  return out.empty() ? "none" : out;
}

// A batch value as its samples: tensors along dim 0, lists and tuples element by element;
// anything else (a 0-d tensor, a number, a string) is one sample.
std::vector<c10::IValue> samples_of(const c10::IValue& value) {
  if (value.isTensor() && value.toTensor().dim() > 0) {
    std::vector<c10::IValue> samples;
    for (const auto& sample : value.toTensor().detach().unbind(0)) samples.emplace_back(sample);
    return samples;
  }
  if (value.isList()) {
    const auto elements = value.toListRef();
    return std::vector<c10::IValue>(elements.begin(), elements.end());
  }
  if (value.isTuple()) {
    const auto& elements = value.toTupleRef().elements();
    return std::vector<c10::IValue>(elements.begin(), elements.end());
  }
  return {value};
}

// A name must stay inside the directory: relative, no '..' component, naming a file.
void check_name(const std::string& name) {
  const fs::path path(name);
  bool escapes = path.has_root_path();
  for (const auto& part : path) escapes = escapes || part == "..";
  if (escapes) fail("file name '" + name + "' would leave the directory (names must be relative paths without '..')");
  if (name.empty() || name.find('\0') != std::string::npos || !path.has_filename() || path.filename() == ".")
    fail("file name '" + name + "' does not name a file");
}

std::string name_of(const c10::IValue& value, const std::string& key, size_t index) {
  if (value.isString()) return value.toStringRef();
  if (value.isInt()) return std::to_string(value.toInt());
  if (value.isTensor()) {
    const torch::Tensor t = value.toTensor();
    if (t.dim() == 0 && !t.is_floating_point() && !t.is_complex() && t.scalar_type() != torch::kBool)
      return std::to_string(t.item<int64_t>());
  }
  fail("name key '" + key + "': sample " + std::to_string(index) + " is not a string or an integer (got " +
       (value.isTensor() ? "a tensor of shape " + c10::str(value.toTensor().sizes()) : std::string("a ") + value.tagKind()) +
       ")");
}

struct Options {
  fs::path directory;
  std::string value_key;
  std::optional<std::string> name_key;
  WriterFunction writer;
  bool overwrite = false;
};

class FileWriter : public Callback {
 public:
  explicit FileWriter(Options options) : o_(std::move(options)) {}

  void on_predict_epoch_start(Trainer& trainer, Model&) override {
    next_index_ = trainer.global_rank();
    taken_.clear();
    if (writes(trainer)) create_folder(o_.directory);
  }

  void on_predict_batch_end(Trainer& trainer, Model&, const Dict& outputs, const Dict&, int64_t) override {
    if (!writes(trainer)) return;
    const std::vector<c10::IValue> values = samples_of(output(outputs, o_.value_key, "value_key"));
    if (values.empty()) return;
    const std::vector<std::string> names = o_.name_key ? names_for(outputs, values.size()) : std::vector<std::string>{};
    if (!next_index_) next_index_ = trainer.global_rank();
    const int64_t step = std::max<int64_t>(1, trainer.world_size());
    std::vector<int64_t> indices;
    std::vector<fs::path> targets;
    for (size_t i = 0; i < values.size(); ++i) {
      indices.push_back(*next_index_ + static_cast<int64_t>(i) * step);
      targets.push_back(o_.directory / ((names.empty() ? std::to_string(indices.back()) : names[i]) + o_.writer.suffix));
    }
    if (!names.empty() && !o_.overwrite) claim(targets, indices, names);
    for (size_t i = 0; i < values.size(); ++i) write(targets[i], values[i]);
    *next_index_ += static_cast<int64_t>(values.size()) * step;
  }

 private:
  static bool writes(const Trainer& trainer) { return trainer.stage() == "predict" && !trainer.fast_dev_run(); }

  static const c10::IValue& output(const Dict& outputs, const std::string& key, const char* param) {
    if (const c10::IValue* value = outputs.find(key)) return *value;
    fail("the predict step outputs have no '" + key + "' (" + param + "); they have " + quoted_list(outputs.keys()));
  }

  // Every name of the batch, checked before any file is written.
  std::vector<std::string> names_for(const Dict& outputs, size_t count) const {
    const std::vector<c10::IValue> values = samples_of(output(outputs, *o_.name_key, "name_key"));
    if (values.size() != count)
      fail("value key '" + o_.value_key + "' has " + std::to_string(count) + " samples but name key '" + *o_.name_key +
           "' has " + std::to_string(values.size()));
    std::vector<std::string> names;
    for (size_t i = 0; i < values.size(); ++i) {
      names.push_back(name_of(values[i], *o_.name_key, i));
      check_name(names.back());
    }
    return names;
  }

  // Records which sample takes each file; a file taken earlier this epoch (or earlier in the
  // batch) is an error, found before any file of the batch is written.
  void claim(const std::vector<fs::path>& targets, const std::vector<int64_t>& indices, const std::vector<std::string>& names) {
    std::unordered_map<std::string, int64_t> batch;
    for (size_t i = 0; i < targets.size(); ++i) {
      const std::string file = targets[i].lexically_normal().string();
      auto earlier = taken_.find(file);
      if (earlier == taken_.end()) {
        const auto [same, fresh] = batch.emplace(file, indices[i]);
        if (fresh) continue;
        earlier = same;
      }
      fail("samples " + std::to_string(earlier->second) + " and " + std::to_string(indices[i]) +
           " (global sample indices) are both named '" + names[i] + "' by name key '" + *o_.name_key +
           "', so both would write " + targets[i].string() +
           "; give every sample its own name, or set overwrite = true to let the later one replace the file");
    }
    taken_.insert(batch.begin(), batch.end());
  }

  static void create_folder(const fs::path& folder) {
    std::error_code error;
    fs::create_directories(folder, error);
    if (error) fail("cannot create the folder " + folder.string() + ": " + error.message());
  }

  void write(const fs::path& target, const c10::IValue& value) const {
    create_folder(target.parent_path());
    const fs::path temp = target.parent_path() / (".tmp-" + std::to_string(::getpid()) + "-" + target.filename().string());
    std::error_code ignored;
    try {
      o_.writer.write(temp, value.isTensor() ? c10::IValue(value.toTensor().detach().to(torch::kCPU)) : value);
    } catch (const std::exception& e) {
      fs::remove(temp, ignored);
      fail("writer '" + o_.writer.name + "': " + e.what() + " (writing " + target.string() + ")");
    }
    std::error_code error;
    fs::rename(temp, target, error);
    if (error) {
      fs::remove(temp, ignored);
      fail("cannot write " + target.string() + ": " + error.message());
    }
  }

  Options o_;
  std::optional<int64_t> next_index_;  // the global index of the next sample this rank writes
  std::unordered_map<std::string, int64_t> taken_;  // file -> the sample that wrote it this epoch
};

// Python's Path(directory).suffix: a folder path must have none ("out.csv" is a file).
void check_directory(const Args& a, const std::string& directory) {
  if (directory.empty()) a.fail("directory", prefix + "expects a folder path, got an empty string");
  fs::path path(directory);
  if (!path.has_filename()) path = path.parent_path();
  if (path.has_extension())
    a.fail("directory", prefix + "expects a folder path, not a file path: '" + directory + "' has the suffix '" +
                            path.extension().string() + "'");
}

Options options_of(const Args& a) {
  Options o;
  const std::string directory = a.get<std::string>("directory");
  check_directory(a, directory);
  o.directory = directory;
  o.value_key = a.get<std::string>("value_key");
  o.name_key = a.get_optional<std::string>("name_key");
  const std::string writer_fn = a.get<std::string>("writer_fn");
  const WriterFunction* writer = find_writer(writer_fn);
  if (!writer)
    a.fail("writer_fn", prefix + "unknown writer function '" + writer_fn + "'; registered: " + quoted_list(writer_names()));
  o.writer = *writer;
  o.overwrite = a.get<bool>("overwrite");
  return o;
}
}  // namespace

void register_file_writer(Registrar& r) {
  using namespace lighter::param;
  Param name_key = string("name_key", std::nullopt, "output whose per-sample strings or integers name the files "
                                                    "(may hold subfolders); default: the global sample index");
  name_key.type = Type::String | Type::Null;
  name_key.default_value = Value();
  r.add<Callback>("lighter.callbacks.FileWriter", "writes each predicted sample to its own file (predict only)",
                  {string("directory", std::nullopt, "folder to write the files into (created as needed)"),
                   string("value_key", std::nullopt, "predict step output to write, e.g. 'pred'"),
                   string("writer_fn", std::nullopt,
                          "writer function: tensor (.pt), image_2d or image_3d (.png), text (.txt), npy (.npy), or "
                          "one a plugin registers"),
                   name_key,
                   boolean("overwrite", false,
                           "let a later sample replace the file of an earlier one with the same name (default: an error)")},
                  [](const Args& a) { return std::make_shared<FileWriter>(options_of(a)); });
}

}  // namespace lighter::callbacks
