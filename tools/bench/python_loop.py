#!/usr/bin/python3
"""The libtorch loop (tools/bench/libtorch_loop.cpp) in plain PyTorch, for comparison.

Same seed and RNG draws (layers in order, then the DataLoader's base seed), same shuffle as
lighter's SeededDataLoader (torch.randperm from a generator seeded with splitmix64-derived seed),
same normalisation and thread count. Times the epoch loop only; prints `key value` lines.
    /usr/bin/python3 tools/bench/python_loop.py [--threads N] [--deterministic] [--compare CKPT]
"""
import argparse
import gzip
import os
import sys
import time
import zlib

try:
    import numpy as np
    import torch
except ImportError as error:  # Debian's python3-torch is optional
    print(f"skipped (import torch failed: {error})")
    sys.exit(0)

M64 = (1 << 64) - 1


def splitmix64(x):  # lighter_data/seeding.cpp
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def derive_seed(seed, counter):
    return splitmix64(seed ^ splitmix64(counter))


def read_idx(path):
    data = gzip.open(path).read()
    dims = [int.from_bytes(data[4 + 4 * d:8 + 4 * d], "big") for d in range(data[3])]
    return torch.from_numpy(np.frombuffer(data, np.uint8, offset=4 + 4 * len(dims)).reshape(dims).copy())


def crc(tensors):
    c = 0
    for t in tensors:
        c = zlib.crc32(t.detach().contiguous().numpy().tobytes(), c)
    return c


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--deterministic", action="store_true")
    p.add_argument("--max-steps", type=int, default=-1)
    p.add_argument("--compare", help="lighter's last.ckpt: compare the final weights bit by bit")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    nn = torch.nn
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    loader_seed = torch.empty((), dtype=torch.long).random_().item() & M64
    init_crc = crc(net.parameters())

    images = read_idx(f"{a.root}/train-images-idx3-ubyte.gz")
    labels = read_idx(f"{a.root}/train-labels-idx1-ubyte.gz").long()
    mean, std = torch.tensor([0.2860]).view(-1, 1, 1), torch.tensor([0.3530]).view(-1, 1, 1)

    torch.set_num_threads(a.threads)
    if a.deterministic:
        torch.use_deterministic_algorithms(True)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.train()
    generator = torch.Generator()
    generator.manual_seed(derive_seed(loader_seed, 0))
    n, batch_size = images.shape[0], 64
    order = torch.randperm(n, generator=generator)
    steps = (n + batch_size - 1) // batch_size
    if a.max_steps >= 0:
        steps = min(steps, a.max_steps)

    start = after_first = time.perf_counter()
    loss_sum = last_loss = 0.0
    for b in range(steps):
        ids = order[b * batch_size:(b + 1) * batch_size]
        x = (images.index_select(0, ids).unsqueeze(1).float().div(255) - mean) / std
        loss = nn.functional.cross_entropy(net(x), labels.index_select(0, ids))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        last_loss = loss.detach().item()
        loss_sum += last_loss
        if b == 0:
            after_first = time.perf_counter()
    end = time.perf_counter()

    print(f"threads {torch.get_num_threads()}\nsteps {steps}\ntrain_s {end - start:.6f}")
    print(f"train_s_after_step1 {end - after_first:.6f}")
    print(f"final_loss {last_loss:.8f}\nmean_loss {loss_sum / max(steps, 1):.8f}")
    print(f"init_crc {init_crc:08x}\norder_crc {crc([order]):08x}\nweights_crc {crc(net.parameters()):08x}")
    if a.compare:
        state = torch.load(a.compare)["state_dict"]
        mine = net.state_dict()
        same = sum(torch.equal(state["network." + k], v) for k, v in mine.items())
        diff = max((state["network." + k] - v).abs().max().item() for k, v in mine.items())
        print(f"compare_identical {same}/{len(mine)}\ncompare_max_abs_diff {diff:.3g}")


if __name__ == "__main__":
    main()
