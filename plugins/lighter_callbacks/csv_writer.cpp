// lighter.callbacks.CsvWriter: chosen entries of the predict step outputs become CSV columns,
// one row per sample. Each rank writes `<stem>.tmp_rank<R><suffix>`; at the end of the predict
// epoch rank 0 joins them in rank order into `path` (temp + rename), so a failed predict never
// leaves a half-written `path`. Cells read as Python Lighter's csv.writer writes them
// (csv_writer.hpp); lines end in "\n" like the file Python Lighter leaves (pandas' to_csv).
//
// Differences from Python Lighter, on purpose: a 0-d tensor repeats on every row like a plain
// scalar (Python counts it as a sequence of one); a tensor inside a list is written by value
// (Python writes `tensor(1.)`); a missing key is an error even in a batch of no samples; a
// tensor of one element per sample, such as a regression `pred` of shape [N, 1], is written as
// that element (`0.5`, where Python writes `[0.5]`), so the column reads back as numbers.
#include "csv_writer.hpp"

#include <lighter/sdk.hpp>

#include <optional>
#include <stdexcept>

#include "rank_files.hpp"
#include "registrations.hpp"

namespace fs = std::filesystem;

namespace lighter::callbacks {

namespace {
constexpr const char* kName = "lighter.callbacks.CsvWriter";

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(std::string(kName) + ": " + message); }

std::string names(const std::vector<std::string>& keys) {  // as Python prints a list: ['id', 'pred']
  std::string out = "[";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ", ";
    csv::append_repr(out, keys[i]);
  }
  return out + "]";
}

// Writes element `index` of a tensor's data; one instantiation per dtype, chosen once a batch.
using PutElement = void (*)(std::string&, const void*, int64_t);

template <class T>
void put_element(std::string& out, const void* data, int64_t index) {
  csv::append_number(out, static_cast<const T*>(data)[index]);
}

PutElement element_writer(at::ScalarType type, const std::string& key) {
  switch (type) {
    case at::kFloat: return &put_element<float>;
    case at::kDouble: return &put_element<double>;
    case at::kHalf: return &put_element<at::Half>;
    case at::kBFloat16: return &put_element<at::BFloat16>;
    case at::kByte: return &put_element<uint8_t>;
    case at::kChar: return &put_element<int8_t>;
    case at::kShort: return &put_element<int16_t>;
    case at::kInt: return &put_element<int32_t>;
    case at::kLong: return &put_element<int64_t>;
    case at::kBool: return &put_element<bool>;
    default: fail("key '" + key + "' holds a " + std::string(c10::toString(type)) + " tensor, which has no CSV form");
  }
}

torch::Tensor cpu_contiguous(const torch::Tensor& tensor) { return tensor.detach().to(torch::kCPU).contiguous(); }

// Python's str(t.tolist()) for the dims from `dim` on, reading elements from `index` on.
void put_nested(std::string& out, PutElement put, const void* data, int64_t& index, c10::IntArrayRef sizes, size_t dim) {
  out += '[';
  for (int64_t i = 0; i < sizes[dim]; ++i) {
    if (i) out += ", ";
    if (dim + 1 == sizes.size()) put(out, data, index++);
    else put_nested(out, put, data, index, sizes, dim + 1);
  }
  out += ']';
}

void put_tensor(std::string& out, const torch::Tensor& tensor, const std::string& key) {
  const torch::Tensor t = cpu_contiguous(tensor);
  const PutElement put = element_writer(t.scalar_type(), key);
  int64_t index = 0;
  if (t.dim() == 0) put(out, t.data_ptr(), 0);
  else put_nested(out, put, t.data_ptr(), index, t.sizes(), 0);
}

void put_value(std::string& out, const c10::IValue& value, bool nested, const std::string& key);

void put_sequence(std::string& out, c10::ArrayRef<c10::IValue> items, bool tuple, const std::string& key) {
  out += tuple ? '(' : '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    put_value(out, items[i], true, key);
  }
  if (tuple && items.size() == 1) out += ',';
  out += tuple ? ')' : ']';
}

// Python's str(value) at the top of a cell, repr(value) inside a list; csv writes None as "".
void put_value(std::string& out, const c10::IValue& value, bool nested, const std::string& key) {
  if (value.isNone()) {
    if (nested) out += "None";
  } else if (value.isBool()) {
    csv::append_bool(out, value.toBool());
  } else if (value.isInt()) {
    csv::append_int(out, value.toInt());
  } else if (value.isDouble()) {
    csv::append_float(out, value.toDouble());
  } else if (value.isString()) {
    if (nested) csv::append_repr(out, value.toStringRef());
    else out += value.toStringRef();
  } else if (value.isTensor()) {
    put_tensor(out, value.toTensor(), key);
  } else if (value.isList()) {
    put_sequence(out, value.toListRef(), false, key);
  } else if (value.isTuple()) {
    put_sequence(out, value.toTupleRef().elements().asArrayRef(), true, key);
  } else {
    fail("key '" + key + "' holds a " + value.tagKind() + ", which has no CSV form");
  }
}

// One configured key's value in one batch, converted once and then written row by row.
class Column {
 public:
  Column(const std::string& key, const c10::IValue& value) : key_(&key) {
    if (value.isTensor() && value.toTensor().dim() > 0) {
      tensor_ = cpu_contiguous(value.toTensor());
      length_ = tensor_.size(0);
      put_ = element_writer(tensor_.scalar_type(), key);
      data_ = tensor_.data_ptr();
      per_row_ = *length_ > 0 ? tensor_.numel() / *length_ : 0;
      // One element per sample ([N], [N, 1], ...) is written as a number, not a list of one.
      scalar_rows_ = per_row_ == 1 || tensor_.dim() == 1;
    } else if (value.isList() || value.isTuple()) {
      holder_ = value;
      items_ = value.isList() ? holder_.toListRef() : holder_.toTupleRef().elements().asArrayRef();
      length_ = static_cast<int64_t>(items_.size());
    } else {
      std::string text;
      put_value(text, value, false, key);
      csv::append_field(constant_, text);
    }
  }

  const std::string& key() const { return *key_; }
  // The samples this key holds; nullopt for one value that repeats on every row.
  std::optional<int64_t> length() const { return length_; }

  void append(std::string& out, std::string& scratch, int64_t row) const {
    if (!length_) return void(out += constant_);
    if (scalar_rows_) return put_(out, data_, row);  // numbers never need quotes
    scratch.clear();
    if (put_) {
      int64_t index = row * per_row_;
      put_nested(scratch, put_, data_, index, tensor_.sizes(), 1);
    } else {
      put_value(scratch, items_[static_cast<size_t>(row)], false, *key_);
    }
    csv::append_field(out, scratch);
  }

 private:
  const std::string* key_;
  std::optional<int64_t> length_;
  std::string constant_;  // the finished field of a repeating value
  torch::Tensor tensor_;  // samples along dim 0, contiguous on the CPU
  PutElement put_ = nullptr;
  const void* data_ = nullptr;
  int64_t per_row_ = 0;
  bool scalar_rows_ = false;
  c10::IValue holder_;  // keeps a list or tuple alive for items_
  c10::ArrayRef<c10::IValue> items_;
};

class CsvWriter : public Callback {
 public:
  CsvWriter(fs::path path, std::vector<std::string> keys) : path_(std::move(path)), keys_(std::move(keys)), file_(kName) {
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (i) header_ += ',';
      csv::append_field(header_, keys_[i]);
    }
    if (header_.empty()) header_ = "\"\"";  // as Python's csv writes a row of one empty field
    header_ += '\n';
  }
  ~CsvWriter() override { abandon(); }

  void on_predict_epoch_start(Trainer& trainer, Model&) override {
    if (trainer.stage() != "predict" || trainer.fast_dev_run()) return;
    abandon();
    if (path_.has_parent_path()) {
      std::error_code error;
      fs::create_directories(path_.parent_path(), error);
      if (error) fail("cannot create the folder " + path_.parent_path().string() + ": " + error.message());
    }
    owned_ = rank_temp_path(path_, trainer.global_rank());
    file_.open(owned_);
    file_.buffer() += header_;
  }

  void on_predict_batch_end(Trainer&, Model&, const Dict& outputs, const Dict&, int64_t) override {
    if (file_.is_open()) write(outputs);
  }

  void on_predict_epoch_end(Trainer& trainer, Model&) override {
    if (!file_.is_open()) return;
    file_.close();
    trainer.barrier();
    if (trainer.global_rank() == 0) {
      merge_rank_files(path_, trainer.world_size(), header_, kName);
      log::debug(std::string(kName) + ": wrote " + path_.string());
    }
    owned_.clear();  // rank 0 has consumed every rank's file
  }

  void on_exception(Trainer&, Model&, const std::exception&) override { abandon(); }
  void teardown(Trainer&, Model&, const std::string& stage) override {
    if (stage == "predict") abandon();
  }

 private:
  // Closes the rank file and removes it unless the epoch end handed it over.
  void abandon() noexcept {
    if (file_.is_open()) file_.discard();
    if (owned_.empty()) return;
    std::error_code ignored;
    fs::remove(owned_, ignored);
    owned_.clear();
  }

  std::vector<Column> columns_of(const Dict& outputs) const {
    bool any = false;
    for (const auto& key : keys_) any = any || outputs.contains(key);
    if (!any)
      fail("none of the configured keys " + names(keys_) + " is in the predict step outputs; available keys: " +
           names(outputs.keys()));
    std::vector<Column> columns;
    columns.reserve(keys_.size());
    for (const auto& key : keys_) {
      const c10::IValue* value = outputs.find(key);
      if (!value)
        fail("key '" + key + "' is missing from the predict step outputs; available keys: " + names(outputs.keys()));
      columns.emplace_back(key, *value);
    }
    return columns;
  }

  // Rows come from the first key holding samples; every other such key must hold as many.
  static int64_t row_count(const std::vector<Column>& columns) {
    const Column* first = nullptr;
    for (const auto& column : columns) {
      if (!column.length()) continue;
      if (!first) first = &column;
      else if (*column.length() != *first->length())
        fail("inconsistent lengths: expected " + std::to_string(*first->length()) + " samples (the length of key '" +
             first->key() + "'), but key '" + column.key() + "' has " + std::to_string(*column.length()));
    }
    return first ? *first->length() : 1;
  }

  void write(const Dict& outputs) {
    const std::vector<Column> columns = columns_of(outputs);
    const int64_t rows = row_count(columns);
    std::string& out = file_.buffer();
    for (int64_t row = 0; row < rows; ++row) {
      const size_t start = out.size();
      for (size_t c = 0; c < columns.size(); ++c) {
        if (c) out += ',';
        columns[c].append(out, scratch_, row);
      }
      if (out.size() == start) out += "\"\"";
      out += '\n';
      file_.maybe_flush();
    }
  }

  fs::path path_;
  std::vector<std::string> keys_;
  std::string header_;  // the header line, as it starts every rank file
  BufferedFile file_;
  fs::path owned_;  // this rank's file while it is this rank's to remove
  std::string scratch_;
};
}  // namespace

void register_csv_writer(Registrar& r) {
  r.add<Callback>(
      kName, "writes chosen predict step outputs to a CSV file, one row per sample (rank files merged by rank 0)",
      {param::string("path", std::nullopt, "the CSV file to write; its folder is created, relative paths start at the working directory"),
       param::list("keys", Type::String, std::nullopt, "the entries of the predict step outputs that become columns, in order")},
      [](const Args& a) {
        const fs::path path = a.get<std::string>("path");
        const std::string name = path.filename().string();
        if (name.empty() || name == "." || name == "..") a.fail("path", "must name a file, got '" + path.string() + "'");
        auto keys = a.get<std::vector<std::string>>("keys");
        if (keys.empty()) a.fail("keys", "must name at least one entry of the predict step outputs");
        return std::make_shared<CsvWriter>(path, std::move(keys));
      });
}

}  // namespace lighter::callbacks
