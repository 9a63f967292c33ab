#include "plugins/library.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "plugins/boundary.hpp"

namespace lighter::host {

namespace fs = std::filesystem;

std::string host_abi_summary() {
  return "SDK ABI " + std::to_string(LIGHTER_SDK_ABI_MAJOR) + "." + std::to_string(LIGHTER_SDK_ABI_MINOR) +
         ", libtorch " + LIGHTER_TORCH_VERSION + ", " + LIGHTER_CXX_ABI;
}

namespace {

void refuse_unsafe_file(const fs::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) throw PluginError("plugin " + file.string() + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(info.st_mode)) throw PluginError("plugin " + file.string() + ": not a regular file");
  if (info.st_mode & S_IWOTH)
    throw PluginError("plugin " + file.string() +
                      ": refused: the file is world-writable, so anyone could replace the code this host would run; "
                      "fix with `chmod o-w " + file.string() + "`");
}

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
#elif defined(__powerpc64__)
constexpr uint16_t kHostMachine = EM_PPC64;
#elif defined(__riscv)
constexpr uint16_t kHostMachine = EM_RISCV;
#else
#error "unknown host machine: add its ELF e_machine here"
#endif

// dlopen maps a damaged file as it is and dies of SIGBUS touching a page past its end: check
// that the ELF header is one this host can load and that every table and loaded segment lies
// inside the file, before dlopen sees it.
void check_elf(const fs::path& file, uintmax_t size) {
  const std::string where = "plugin " + file.string() + ": refused: ";
  const std::string fix = "; rebuild or reinstall it";
  std::ifstream in(file, std::ios::binary);
  auto read_at = [&](uint64_t offset, void* out, size_t bytes) {
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(static_cast<char*>(out), static_cast<std::streamsize>(bytes));
    return static_cast<size_t>(in.gcount()) == bytes;
  };
  Elf64_Ehdr header{};
  if (size < EI_NIDENT || !read_at(0, header.e_ident, EI_NIDENT) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    throw PluginError(where + "not a shared library (no ELF header; the file has " + std::to_string(size) + " bytes)" + fix);
  if (header.e_ident[EI_CLASS] != ELFCLASS64)
    throw PluginError(where + "a 32-bit ELF file; this lighter-host loads 64-bit plugins only" + fix);
  if (size < sizeof(header) || !read_at(0, &header, sizeof(header)))
    throw PluginError(where + "the file is truncated: " + std::to_string(size) + " bytes, shorter than an ELF header" + fix);
  if (header.e_machine != kHostMachine)
    throw PluginError(where + "built for another machine (ELF e_machine " + std::to_string(header.e_machine) +
                      ", this host is " + std::to_string(kHostMachine) + ")" + fix);
  if (header.e_type != ET_DYN)
    throw PluginError(where + "not a shared library (ELF type " + std::to_string(header.e_type) +
                      "); build it with shared_module() or -shared" + fix);
  auto inside = [&](uint64_t offset, uint64_t bytes, const std::string& what) {
    if (offset > size || bytes > size - offset)
      throw PluginError(where + "the file is truncated or damaged: its " + what + " end at byte " +
                        std::to_string(offset + bytes) + ", but the file has " + std::to_string(size) + " bytes" + fix);
  };
  if (header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0)
    throw PluginError(where + "damaged ELF header (no usable program header table)" + fix);
  inside(header.e_phoff, uint64_t{header.e_phnum} * sizeof(Elf64_Phdr), "program headers");
  if (header.e_shnum > 0) inside(header.e_shoff, uint64_t{header.e_shnum} * header.e_shentsize, "section headers");
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  if (!read_at(header.e_phoff, segments.data(), segments.size() * sizeof(Elf64_Phdr)))
    throw PluginError(where + "cannot read its program headers" + fix);
  for (const auto& segment : segments)
    if (segment.p_type == PT_LOAD) inside(segment.p_offset, segment.p_filesz, "loaded segments");
}

// Opens the file with dlopen itself, for dlerror()'s own message: boost::dll appends errno's
// text ("Bad file descriptor"), which is noise here. The caller closes the handle.
void* open_library(const fs::path& file) {
  ::dlerror();
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* error = ::dlerror();
    throw PluginError("plugin " + file.string() + ": cannot load: " + (error ? error : "dlopen failed"));
  }
  return handle;
}

void check_handshake(const fs::path& file, const lighter_plugin_descriptor& d) {
  const std::string where = "plugin " + file.string() + ": refused: ";
  const std::string fix = "; rebuild the plugin against this host's SDK (pkg-config lighter-sdk)";
  if (d.struct_size < sizeof(lighter_plugin_descriptor) && d.sdk_abi_major == LIGHTER_SDK_ABI_MAJOR)
    throw PluginError(where + "descriptor too small (" + std::to_string(d.struct_size) + " bytes, expected " +
                      std::to_string(sizeof(lighter_plugin_descriptor)) + ")" + fix);
  if (d.sdk_abi_major != LIGHTER_SDK_ABI_MAJOR || d.sdk_abi_minor > LIGHTER_SDK_ABI_MINOR)
    throw PluginError(where + "it was built for SDK ABI " + std::to_string(d.sdk_abi_major) + "." +
                      std::to_string(d.sdk_abi_minor) + ", this lighter-host provides SDK ABI " +
                      std::to_string(LIGHTER_SDK_ABI_MAJOR) + "." + std::to_string(LIGHTER_SDK_ABI_MINOR) +
                      " (same major and a minor no newer are required)" + fix);
  const std::string torch = d.torch_version ? d.torch_version : "(none)";
  if (torch != LIGHTER_TORCH_VERSION)
    throw PluginError(where + "it was built against libtorch " + torch + ", this lighter-host uses libtorch " +
                      LIGHTER_TORCH_VERSION + fix);
  const std::string abi = d.cxx_abi ? d.cxx_abi : "(none)";
  if (abi != LIGHTER_CXX_ABI)
    throw PluginError(where + "it was built with C++ library ABI '" + abi + "', this lighter-host uses '" +
                      LIGHTER_CXX_ABI + "'" + fix);
  if (!d.register_components) throw PluginError(where + "descriptor has no registration function");
}

}  // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::load(const fs::path& file) {
  refuse_unsafe_file(file);
  std::error_code ec;
  check_elf(file, fs::file_size(file, ec));
  void* handle = open_library(file);
  boost::dll::shared_library library;
  try {
    library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);  // the same library again
  } catch (const std::exception& e) {
    ::dlclose(handle);
    throw PluginError("plugin " + file.string() + ": cannot load: " + e.what());
  }
  ::dlclose(handle);
  if (!library.has(LIGHTER_PLUGIN_ENTRY_SYMBOL))
    throw PluginError("plugin " + file.string() + ": not a lighter plugin (no exported " LIGHTER_PLUGIN_ENTRY_SYMBOL
                      " entry point; define one with LIGHTER_PLUGIN)");
  auto entry = library.get<const lighter_plugin_descriptor*()>(LIGHTER_PLUGIN_ENTRY_SYMBOL);
  const lighter_plugin_descriptor* descriptor = nullptr;
  try {
    descriptor = entry();
  } catch (...) {
    throw PluginError("plugin " + file.string() + ": its entry point threw " + current_exception_text());
  }
  if (!descriptor) throw PluginError("plugin " + file.string() + ": entry point returned no descriptor");
  check_handshake(file, *descriptor);
  return std::shared_ptr<PluginLibrary>(new PluginLibrary(file, std::move(library), descriptor));
}

void PluginLibrary::register_components(Registrar& registrar) const { descriptor_->register_components(&registrar); }

}  // namespace lighter::host
