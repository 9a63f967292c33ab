#include <map>
#include <mutex>
#include <stdexcept>

#include "internal.hpp"

namespace lighter {
namespace {
struct Entry {
  WriterFunction writer;
  std::string source;
};
std::map<std::string, Entry>& table() {
  static std::map<std::string, Entry> writers;
  return writers;
}
std::mutex& table_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

const WriterFunction* find_writer(const std::string& name) {
  std::lock_guard<std::mutex> lock(table_mutex());
  auto it = table().find(name);
  return it == table().end() ? nullptr : &it->second.writer;
}

std::vector<std::string> writer_names() {
  std::lock_guard<std::mutex> lock(table_mutex());
  std::vector<std::string> names;
  for (const auto& [name, entry] : table()) names.push_back(name);
  return names;
}

namespace internal {
void register_writer(WriterFunction writer, std::string source) {
  std::lock_guard<std::mutex> lock(table_mutex());
  auto it = table().find(writer.name);
  if (it != table().end())
    throw std::invalid_argument("writer function '" + writer.name + "' is registered twice: by " +
                                it->second.source + " and by " + source);
  std::string name = writer.name;
  table().emplace(name, Entry{std::move(writer), std::move(source)});
}
void clear_writers() {
  std::lock_guard<std::mutex> lock(table_mutex());
  table().clear();
}
}  // namespace internal
}  // namespace lighter
