#include "engine/checkpoint.hpp"

#include <torch/serialize.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "engine/checkpoint_zip.hpp"
#include "engine/run_dir.hpp"

namespace lighter::host {

namespace fs = std::filesystem;

c10::IValue config_to_ivalue(const cfg::Node& node) {
  switch (node.type()) {
    case cfg::Node::Type::Null: return c10::IValue();
    case cfg::Node::Type::Bool: return node.as_bool();
    case cfg::Node::Type::Int: return static_cast<int64_t>(node.as_int());
    case cfg::Node::Type::Float: return node.as_float();
    case cfg::Node::Type::String: return node.as_string();
    case cfg::Node::Type::Array: {
      c10::impl::GenericList list(c10::AnyType::get());
      for (const auto& item : node.array()) list.push_back(config_to_ivalue(item));
      return list;
    }
    case cfg::Node::Type::Table: {
      Dict table;
      for (const auto& [key, value] : node.table()) table.set(key, config_to_ivalue(value));
      return table.to_ivalue();
    }
  }
  return c10::IValue();
}

namespace {

// A copy of `value` with every tensor on the CPU: a checkpoint written on a GPU then loads on a
// CPU-only machine (lighter, and Python's torch.load without map_location).
c10::IValue on_cpu(const c10::IValue& value) {
  if (value.isTensor()) {
    const torch::Tensor& t = value.toTensor();
    return t.defined() && !t.is_cpu() ? c10::IValue(t.cpu()) : value;
  }
  if (value.isGenericDict()) {
    c10::impl::GenericDict out(value.toGenericDict().keyType(), value.toGenericDict().valueType());
    for (const auto& entry : value.toGenericDict()) out.insert(entry.key(), on_cpu(entry.value()));
    return out;
  }
  if (value.isList()) {
    c10::impl::GenericList out(value.toList().elementType());
    for (const c10::IValue& item : value.toList()) out.push_back(on_cpu(item));
    return out;
  }
  if (value.isTuple()) {
    std::vector<c10::IValue> items;
    for (const c10::IValue& item : value.toTupleRef().elements()) items.push_back(on_cpu(item));
    return c10::ivalue::Tuple::create(std::move(items));
  }
  return value;
}

}  // namespace

void write_checkpoint(const fs::path& file, const Dict& checkpoint) {
  const std::vector<char> bytes = torch::pickle_save(on_cpu(checkpoint.to_ivalue()));
  std::error_code ec;
  if (!file.parent_path().empty()) fs::create_directories(file.parent_path(), ec);
  if (ec) throw std::runtime_error("cannot write " + file.string() + ": " + ec.message());
  write_file_atomic(file, std::string_view(bytes.data(), bytes.size()));
}

Dict read_checkpoint(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CheckpointError(file, std::string("cannot be read: ") + std::strerror(errno));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw CheckpointError(file, std::string("cannot be read: ") + std::strerror(errno));
  check_zip_archive(bytes, file);
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const c10::Error& e) {
    throw CheckpointError(file, std::string("is corrupt or not a torch checkpoint (") + e.what_without_backtrace() + ")");
  } catch (const std::exception& e) {
    throw CheckpointError(file, std::string("is corrupt or not a torch checkpoint (") + e.what() + ")");
  }
  if (!value.isGenericDict()) throw CheckpointError(file, "does not hold a dict but a " + value.tagKind());
  for (const auto& entry : value.toGenericDict())
    if (!entry.key().isString()) throw CheckpointError(file, "has a " + entry.key().tagKind() + " key; a checkpoint's keys are names");
  Dict checkpoint = Dict::from_ivalue(value);
  if (!checkpoint.contains("state_dict") || !checkpoint.at("state_dict").isGenericDict()) {
    std::string keys;
    for (const auto& k : checkpoint.keys()) keys += (keys.empty() ? "" : ", ") + k;
    throw CheckpointError(file, "has no state_dict (keys: " + keys + "); is it a lighter or Lightning checkpoint?");
  }
  return checkpoint;
}

Dict model_state_dict(Model& model) {
  Dict state;
  const std::string prefix = model.state_prefix();
  for (const auto& item : model.module().named_parameters()) state.set(prefix + item.key(), item.value().detach().cpu());
  for (const auto& item : model.module().named_buffers()) state.set(prefix + item.key(), item.value().detach().cpu());
  return state;
}

namespace {

// Matches the checkpoint's state_dict with the model's names and shapes; copies when `copy`.
void match_model_state(Model& model, const Dict& checkpoint, const fs::path& file, bool copy) {
  const c10::IValue& saved_value = checkpoint.at("state_dict");
  for (const auto& entry : saved_value.toGenericDict())
    if (!entry.key().isString()) throw CheckpointError(file, "state_dict has a " + entry.key().tagKind() + " key; expected names");
  const Dict saved = Dict::from_ivalue(saved_value);
  const std::string prefix = model.state_prefix();
  std::vector<std::string> missing, used;
  torch::NoGradGuard no_grad;
  auto restore = [&](const std::string& name, torch::Tensor& target) {
    const c10::IValue* value = saved.find(prefix + name);
    if (!value || !value->isTensor()) {
      missing.push_back(prefix + name);
      return;
    }
    const torch::Tensor& source = value->toTensor();
    if (source.sizes() != target.sizes())
      throw CheckpointError(file, "'" + prefix + name + "' has shape " + c10::str(source.sizes()) + " but the model's is " +
                                      c10::str(target.sizes()) +
                                      " (was it saved from a different network?)");
    if (copy) target.copy_(source);
    used.push_back(prefix + name);
  };
  for (auto& item : model.module().named_parameters()) restore(item.key(), item.value());
  for (auto& item : model.module().named_buffers()) restore(item.key(), item.value());
  std::vector<std::string> unexpected;
  for (const auto& key : saved.keys())
    if (std::find(used.begin(), used.end(), key) == used.end()) unexpected.push_back(key);
  auto listed = [](const std::vector<std::string>& keys) {
    std::string out;
    for (size_t i = 0; i < keys.size() && i < 5; ++i) out += (i ? ", '" : "'") + keys[i] + "'";
    return keys.size() > 5 ? out + ", ... (" + std::to_string(keys.size()) + " in all)" : out;
  };
  if (!missing.empty())
    throw CheckpointError(file, "lacks weights the model has: " + listed(missing) + " (was it saved from a different network?)");
  if (!unexpected.empty())
    throw CheckpointError(file, "has weights the model lacks: " + listed(unexpected) + " (was it saved from a different network?)");
}

}  // namespace

void load_model_state(Model& model, const Dict& checkpoint, const fs::path& file) {
  match_model_state(model, checkpoint, file, true);
}

void check_model_state(Model& model, const Dict& checkpoint, const fs::path& file) {
  match_model_state(model, checkpoint, file, false);
}

fs::path resolve_ckpt_path(const std::string& value, const fs::path& root) {
  if (value != "last" && value != "best") {
    if (!fs::is_regular_file(value))
      throw CheckpointError(value, fs::exists(value) ? "is not a file" : "does not exist (give `last`, `best` or a checkpoint file's path)");
    return value;
  }
  const fs::path logs = root / "lighter_logs";
  int64_t newest = -1;
  fs::path found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(logs, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("version_", 0) != 0) continue;
    int64_t n = -1;
    try {
      n = std::stoll(name.substr(8));
    } catch (const std::exception&) {
      continue;
    }
    const fs::path candidate = entry.path() / "checkpoints" / (value + ".ckpt");
    if (n > newest && fs::is_regular_file(candidate)) {
      newest = n;
      found = candidate;
    }
  }
  if (found.empty())
    throw ParamError("ckpt_path " + value, "no run under " + logs.string() + " has checkpoints/" + value +
                                               ".ckpt (train first, or give a checkpoint file's path)");
  return found;
}

}  // namespace lighter::host
