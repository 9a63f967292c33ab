// The floor for `lighter-host fit tools/bench/mlp_bench.toml` (and cnn_bench.toml): the same
// epoch of Fashion-MNIST training written by hand in libtorch. Same seed, same RNG draws in the
// same order (layers, then the DataLoader's base seed), same shuffle as lighter's
// SeededDataLoader, same normalisation, same thread count. Times the epoch loop only (the idx
// files are read before).
//
//   libtorch_loop [--root DIR] [--seed N] [--threads N] [--deterministic] [--max-steps N]
//                 [--prep batch|sample] [--softmax] [--compare LIGHTER_CKPT] [--save FILE.pt]
//                 [--device cpu|cuda] [--model mlp|cnn] [--precision 32-true|bf16-mixed]
//
// --model cnn is the network of examples/fashion_mnist/cnn.toml. --precision bf16-mixed runs the
//   forward pass and the loss under autocast (bfloat16), as lighter's and Lightning's
//   "bf16-mixed"; the backward pass and the optimizer step stay outside, in float32 weights.
// --device cuda moves the whole data set (uint8) and the epoch's order to the GPU once, before
//   the clock starts: a batch is one index_select there, converted and normalised on the GPU.
//   No step waits for the GPU: the losses are summed on the device and read once at the end;
//   the clock is read after a synchronize (after step 1 and at the end). peak_mem_mb is "n/a":
//   the CUDA allocator's statistics need the CUDA toolkit's headers, which neither Debian's
//   libtorch nor a pip torch puts on the include path (tools/bench/gpu reads nvidia-smi).
// --prep batch (default): each batch is gathered as uint8 and converted in one go
//   (float, /255, (x - mean) / std). --prep sample: Normalize per sample then stack, as
//   lighter's MnistDataset::get_batch does (to measure that cost). --softmax adds the softmax
//   and argmax that lighter.SupervisedModule computes each step for its `probs` and `pred`.
// Prints `key value` lines; train_s_after_step1 is the time of steps 2..N, the figure compared
// with lighter-host (whose first step includes its lazy set-up); start_to_first_step_s is the
// process's age after step 1, measured as lighter-host's.
#include <torch/torch.h>
#include <zlib.h>

#include "../../sdk/include/lighter/torch_compat.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

// lighter_data/seeding.cpp
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t derive_seed(uint64_t seed, uint64_t counter) { return splitmix64(seed ^ splitmix64(counter)); }

std::vector<uint8_t> gunzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path);
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  int n;
  while ((n = gzread(file, chunk, sizeof chunk)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
  gzclose(file);
  if (n < 0) throw std::runtime_error("cannot read " + path);
  return bytes;
}

// An unsigned-byte idx file as a uint8 tensor; dims from its header.
torch::Tensor read_idx(const std::string& path) {
  std::vector<uint8_t> b = gunzip(path);
  auto be32 = [&](size_t at) { return int64_t(b[at]) << 24 | int64_t(b[at + 1]) << 16 | int64_t(b[at + 2]) << 8 | b[at + 3]; };
  if (b.size() < 4 || b[2] != 0x08) throw std::runtime_error(path + ": not an unsigned-byte idx file");
  std::vector<int64_t> dims;
  for (int d = 0; d < b[3]; ++d) dims.push_back(be32(4 + 4 * d));
  const size_t header = 4 + 4 * dims.size();
  return torch::from_blob(b.data() + header, dims, torch::kUInt8).clone();
}

uint32_t crc_of(const std::vector<torch::Tensor>& tensors) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (const auto& t : tensors) {
    torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
    crc = crc32(crc, static_cast<const Bytef*>(c.data_ptr()), static_cast<uInt>(c.nbytes()));
  }
  return static_cast<uint32_t>(crc);
}

// The process's age in seconds, measured as lighter-host's "first optimizer step done X s after
// the host started" (core/engine/start_time.hpp: /proc, 10 ms resolution).
double process_age() {
  std::ifstream stat_file("/proc/self/stat"), uptime_file("/proc/uptime");
  const std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  double uptime = 0;
  const auto close = stat.rfind(')');
  if (!(uptime_file >> uptime) || close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));  // field 3 on; starttime is field 22
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  return uptime - std::stod(field) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The network of mlp_bench.toml or of cnn_bench.toml (examples/fashion_mnist/cnn.toml). One
// statement per layer: constructor arguments have no evaluation order (GCC goes right to left).
torch::nn::Sequential make_network(const std::string& model) {
  namespace nn = torch::nn;
  nn::Sequential net;
  if (model == "mlp") {
    net->push_back(nn::Flatten());
    net->push_back(nn::Linear(784, 256));
    net->push_back(nn::ReLU());
    net->push_back(nn::Linear(256, 128));
    net->push_back(nn::ReLU());
    net->push_back(nn::Linear(128, 10));
  } else if (model == "cnn") {
    net->push_back(nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1)));
    net->push_back(nn::BatchNorm2d(32));
    net->push_back(nn::ReLU());
    net->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    net->push_back(nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)));
    net->push_back(nn::BatchNorm2d(64));
    net->push_back(nn::ReLU());
    net->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    net->push_back(nn::Flatten());
    net->push_back(nn::Linear(3136, 128));
    net->push_back(nn::ReLU());
    net->push_back(nn::Dropout(0.3));
    net->push_back(nn::Linear(128, 10));
  } else {
    throw std::runtime_error("--model " + model + ": expected mlp or cnn");
  }
  return net;
}

// Autocast over one region, as lighter's AutocastScope and torch.autocast: on entry enabled with
// the dtype; on exit the cast cache (the weights' bfloat16 copies) is dropped.
struct Autocast {
  c10::DeviceType device;
  bool active;
  Autocast(c10::DeviceType d, bool on) : device(d), active(on) {
    if (!active) return;
    lighter::compat::set_autocast(device, true, torch::kBFloat16);
    at::autocast::increment_nesting();
  }
  ~Autocast() {
    if (!active) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    lighter::compat::set_autocast(device, false, torch::kBFloat16);
  }
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;
};

int run(int argc, char** argv) {
  std::string root = "/usr/share/datasets/fashion-mnist", prep = "batch", compare, save;
  std::string device_name = "cpu", model = "mlp", precision = "32-true";
  uint64_t seed = 42;
  int64_t threads = std::max(1u, std::thread::hardware_concurrency()), max_steps = -1;
  bool deterministic = false, softmax = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--root") root = value();
    else if (a == "--seed") seed = std::stoull(value());
    else if (a == "--threads") threads = std::stoll(value());
    else if (a == "--deterministic") deterministic = true;
    else if (a == "--max-steps") max_steps = std::stoll(value());
    else if (a == "--prep") prep = value();
    else if (a == "--softmax") softmax = true;
    else if (a == "--compare") compare = value();
    else if (a == "--save") save = value();
    else if (a == "--device") device_name = value();
    else if (a == "--model") model = value();
    else if (a == "--precision") precision = value();
    else throw std::runtime_error("unknown argument " + a);
  }
  if (device_name != "cpu" && device_name != "cuda") throw std::runtime_error("--device " + device_name + ": expected cpu or cuda");
  if (precision != "32-true" && precision != "bf16-mixed")
    throw std::runtime_error("--precision " + precision + ": expected 32-true or bf16-mixed");
  const bool cuda = device_name == "cuda", bf16 = precision == "bf16-mixed";
  if (cuda && !torch::cuda::is_available())
    throw std::runtime_error("--device cuda: no CUDA device available (torch::cuda::is_available() is false: "
                             "this libtorch is built without CUDA, or no GPU is visible)");
  const torch::Device device(cuda ? torch::kCUDA : torch::kCPU);

  // runner.cpp: seed, then the model (layers in config order), then the DataLoader's seed.
  torch::manual_seed(seed);
  torch::nn::Sequential net = make_network(model);
  const auto loader_seed = static_cast<uint64_t>(torch::empty({}, torch::kLong).random_().item<int64_t>());
  const uint32_t init_crc = crc_of(net->parameters());
  net->to(device);

  torch::Tensor images = read_idx(root + "/train-images-idx3-ubyte.gz").to(device);  // uint8 [N, 28, 28]
  torch::Tensor labels = read_idx(root + "/train-labels-idx1-ubyte.gz").to(torch::kLong).to(device);
  const int64_t n = images.size(0), batch_size = 64;
  const torch::Tensor mean = torch::tensor({0.2860f}).view({-1, 1, 1}).to(device),
                      std_ = torch::tensor({0.3530f}).view({-1, 1, 1}).to(device);

  // trainer.cpp begin_stage
  torch::set_num_threads(static_cast<int>(threads));
  if (deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(1e-3));
  net->train();

  // data_loader.cpp start_epoch(0)
  torch::Generator generator = at::detail::createCPUGenerator(derive_seed(loader_seed, 0));
  const torch::Tensor order = torch::randperm(n, generator, torch::kLong).to(device);
  const uint32_t order_crc = crc_of({order});
  int64_t steps = (n + batch_size - 1) / batch_size;
  if (max_steps >= 0) steps = std::min(steps, max_steps);
  torch::Tensor loss_sum_dev, last_loss_dev;  // CUDA: the losses stay on the device until the end
  if (cuda) {
    loss_sum_dev = torch::zeros({}, torch::TensorOptions(torch::kDouble).device(device));
    torch::cuda::synchronize();
  }

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto after_first = start;
  double loss_sum = 0, last_loss = 0;
  for (int64_t b = 0; b < steps; ++b) {
    const torch::Tensor ids = order.slice(0, b * batch_size, std::min(n, (b + 1) * batch_size));
    torch::Tensor x = images.index_select(0, ids).unsqueeze(1).to(torch::kFloat).div(255);
    if (prep == "sample") {
      std::vector<torch::Tensor> samples;
      for (int64_t i = 0; i < x.size(0); ++i) samples.push_back((x[i] - mean) / std_);
      x = torch::stack(samples);
    } else {
      x = (x - mean) / std_;
    }
    const torch::Tensor y = labels.index_select(0, ids);
    torch::Tensor output, loss;
    {
      Autocast autocast(device.type(), bf16);
      output = net->forward(x);
      loss = torch::nn::functional::cross_entropy(output, y);
    }
    if (softmax) torch::softmax(output.detach(), 1).argmax(1);
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();
    if (cuda) {
      last_loss_dev = loss.detach();
      loss_sum_dev.add_(last_loss_dev);
    } else {
      last_loss = loss.detach().item<double>();  // lighter logs every step's loss this way
      loss_sum += last_loss;
    }
    if (b == 0) {
      if (cuda) torch::cuda::synchronize();
      after_first = Clock::now();
    }
  }
  if (cuda) torch::cuda::synchronize();
  const auto end = Clock::now();
  const double age_at_first_step = process_age() - std::chrono::duration<double>(Clock::now() - after_first).count();
  if (cuda && steps > 0) {
    last_loss = last_loss_dev.item<double>();
    loss_sum = loss_sum_dev.item<double>();
  }
  auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };

  std::vector<torch::Tensor> params = net->parameters();
  std::printf("threads %d\nsteps %lld\ntrain_s %.6f\ntrain_s_after_step1 %.6f\n", torch::get_num_threads(),
              static_cast<long long>(steps), seconds(end - start), seconds(end - after_first));
  std::printf("final_loss %.8f\nmean_loss %.8f\n", last_loss, loss_sum / static_cast<double>(steps));
  std::printf("init_crc %08x\norder_crc %08x\nweights_crc %08x\n", init_crc, order_crc, crc_of(params));
  std::printf("device %s\nmodel %s\nprecision %s\nsteps_per_s %.1f\nstart_to_first_step_s %.3f\n", device_name.c_str(),
              model.c_str(), precision.c_str(), steps > 1 ? static_cast<double>(steps - 1) / seconds(end - after_first) : 0.0,
              age_at_first_step);
  if (cuda) std::printf("peak_mem_mb n/a\n");

  if (!save.empty()) {
    c10::Dict<std::string, torch::Tensor> state;
    for (const auto& item : net->named_parameters()) state.insert(item.key(), item.value().detach().to(torch::kCPU));
    const std::vector<char> bytes = torch::pickle_save(state);
    std::ofstream(save, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  if (!compare.empty()) {  // lighter's last.ckpt: a dict whose state_dict holds "<prefix><name>"
    std::ifstream in(compare, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto ckpt = torch::pickle_load(bytes).toGenericDict();
    const auto state = ckpt.at("state_dict").toGenericDict();
    int64_t same = 0, total = 0;
    double max_diff = 0;
    for (const auto& item : net->named_parameters()) {
      ++total;
      for (const auto& entry : state) {
        const std::string key = entry.key().toStringRef();
        if (key != item.key() && !(key.size() > item.key().size() &&
                                   key.compare(key.size() - item.key().size() - 1, std::string::npos, "." + item.key()) == 0))
          continue;
        const torch::Tensor theirs = entry.value().toTensor(), ours = item.value().detach().to(torch::kCPU);
        if (torch::equal(theirs, ours)) ++same;
        max_diff = std::max(max_diff, (theirs - ours).abs().max().item<double>());
      }
    }
    std::printf("compare_identical %lld/%lld\ncompare_max_abs_diff %.3g\n", static_cast<long long>(same),
                static_cast<long long>(total), max_diff);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "libtorch_loop: %s\n", e.what());
    return 2;
  }
}
