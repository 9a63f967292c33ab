// The floor for `lighter-host fit tools/bench/mlp_bench.toml`: the same epoch of Fashion-MNIST
// training written by hand in libtorch. Same seed, same RNG draws in the same order (layers,
// then the DataLoader's base seed), same shuffle as lighter's SeededDataLoader, same
// normalisation, same thread count. Times the epoch loop only (the idx files are read before).
//
//   libtorch_loop [--root DIR] [--seed N] [--threads N] [--deterministic] [--max-steps N]
//                 [--prep batch|sample] [--softmax] [--compare LIGHTER_CKPT] [--save FILE.pt]
//
// --prep batch (default): each batch is gathered as uint8 and converted in one go
//   (float, /255, (x - mean) / std). --prep sample: Normalize per sample then stack, as
//   lighter's MnistDataset::get_batch does (to measure that cost). --softmax adds the softmax
//   and argmax that lighter.SupervisedModule computes each step for its `probs` and `pred`.
// Prints `key value` lines; train_s_after_step1 is the time of steps 2..N, the figure compared
// with lighter-host (whose first step includes its lazy set-up).
#include <torch/torch.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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
    torch::Tensor c = t.detach().contiguous();
    crc = crc32(crc, static_cast<const Bytef*>(c.data_ptr()), static_cast<uInt>(c.nbytes()));
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

int main(int argc, char** argv) {
  std::string root = "/usr/share/datasets/fashion-mnist", prep = "batch", compare, save;
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
    else throw std::runtime_error("unknown argument " + a);
  }

  // runner.cpp: seed, then the model (layers in config order), then the DataLoader's seed.
  torch::manual_seed(seed);
  // One statement per layer: constructor arguments have no evaluation order (GCC goes right to left).
  torch::nn::Sequential net;
  net->push_back(torch::nn::Flatten());
  net->push_back(torch::nn::Linear(784, 256));
  net->push_back(torch::nn::ReLU());
  net->push_back(torch::nn::Linear(256, 128));
  net->push_back(torch::nn::ReLU());
  net->push_back(torch::nn::Linear(128, 10));
  const auto loader_seed = static_cast<uint64_t>(torch::empty({}, torch::kLong).random_().item<int64_t>());
  const uint32_t init_crc = crc_of(net->parameters());

  torch::Tensor images = read_idx(root + "/train-images-idx3-ubyte.gz");            // uint8 [N, 28, 28]
  torch::Tensor labels = read_idx(root + "/train-labels-idx1-ubyte.gz").to(torch::kLong);
  const int64_t n = images.size(0), batch_size = 64;
  const torch::Tensor mean = torch::tensor({0.2860f}).view({-1, 1, 1}), std_ = torch::tensor({0.3530f}).view({-1, 1, 1});

  // trainer.cpp begin_stage
  torch::set_num_threads(static_cast<int>(threads));
  if (deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(1e-3));
  net->train();

  // data_loader.cpp start_epoch(0)
  torch::Generator generator = at::detail::createCPUGenerator(derive_seed(loader_seed, 0));
  const torch::Tensor order = torch::randperm(n, generator, torch::kLong);
  const uint32_t order_crc = crc_of({order});
  int64_t steps = (n + batch_size - 1) / batch_size;
  if (max_steps >= 0) steps = std::min(steps, max_steps);

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
    const torch::Tensor output = net->forward(x);
    torch::Tensor loss = torch::nn::functional::cross_entropy(output, y);
    if (softmax) torch::softmax(output.detach(), 1).argmax(1);
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();
    last_loss = loss.detach().item<double>();  // lighter logs every step's loss this way
    loss_sum += last_loss;
    if (b == 0) after_first = Clock::now();
  }
  const auto end = Clock::now();
  auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };

  std::vector<torch::Tensor> params = net->parameters();
  std::printf("threads %d\nsteps %lld\ntrain_s %.6f\ntrain_s_after_step1 %.6f\n", torch::get_num_threads(),
              static_cast<long long>(steps), seconds(end - start), seconds(end - after_first));
  std::printf("final_loss %.8f\nmean_loss %.8f\n", last_loss, loss_sum / static_cast<double>(steps));
  std::printf("init_crc %08x\norder_crc %08x\nweights_crc %08x\n", init_crc, order_crc, crc_of(params));

  if (!save.empty()) {
    c10::Dict<std::string, torch::Tensor> state;
    for (const auto& item : net->named_parameters()) state.insert(item.key(), item.value().detach());
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
        const torch::Tensor theirs = entry.value().toTensor();
        if (torch::equal(theirs, item.value().detach())) ++same;
        max_diff = std::max(max_diff, (theirs - item.value().detach()).abs().max().item<double>());
      }
    }
    std::printf("compare_identical %lld/%lld\ncompare_max_abs_diff %.3g\n", static_cast<long long>(same),
                static_cast<long long>(total), max_diff);
  }
  return 0;
}
