"""PyTorch's own DDP on the run tests/e2e/test_ddp.cpp gives lighter (2 ranks, Gloo, CPU).

    python3 ddp_reference.py OUT_DIR PORT
    python3 ddp_reference.py --compare OUT_DIR LIGHTER_CKPT   # prints the largest differences

Writes OUT_DIR/data.csv (the samples), OUT_DIR/init.ckpt (the initial weights, in a Lightning
checkpoint lighter loads with --weights_only) and OUT_DIR/reference.ckpt (the weights after two
epochs of DistributedDataParallel with DistributedSampler(shuffle=False), batch 16 per rank,
Adam(lr=0.01), CrossEntropyLoss).
"""
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset


def network():
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))


def state(model):
    return {"network." + key: value.detach().clone() for key, value in model.state_dict().items()}


def train(rank, out, port):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    data = np.loadtxt(os.path.join(out, "data.csv"), delimiter=",", skiprows=1, dtype=np.float64)
    features = torch.tensor(data[:, :8], dtype=torch.float32)
    labels = torch.tensor(data[:, 8], dtype=torch.int64)
    model = network()
    model.load_state_dict({key[len("network."):]: value for key, value in torch.load(os.path.join(out, "init.ckpt"))["state_dict"].items()})
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=0.01)
    dataset = TensorDataset(features, labels)
    sampler = DistributedSampler(dataset, num_replicas=2, rank=rank, shuffle=False)
    loader = DataLoader(dataset, batch_size=16, sampler=sampler)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(ddp(x), y).backward()
            optimizer.step()
    if rank == 0:
        torch.save({"state_dict": state(model)}, os.path.join(out, "reference.ckpt"))
    dist.destroy_process_group()


def compare(out, trained):
    weights = torch.load(trained, map_location="cpu")["state_dict"]
    def largest(other):
        return max((weights[key].double() - value.double()).abs().max().item() for key, value in other.items())
    reference = torch.load(os.path.join(out, "reference.ckpt"))["state_dict"]
    init = torch.load(os.path.join(out, "init.ckpt"))["state_dict"]
    assert set(reference) == set(weights), (sorted(reference), sorted(weights))
    print(largest(reference), largest(init))


def main():
    if sys.argv[1] == "--compare":
        return compare(sys.argv[2], sys.argv[3])
    out, port = sys.argv[1], int(sys.argv[2])
    generator = np.random.default_rng(3)
    features = generator.standard_normal((128, 8)).astype(np.float32)
    labels = generator.integers(0, 3, 128)
    with open(os.path.join(out, "data.csv"), "w") as f:
        f.write(",".join(f"f{i}" for i in range(8)) + ",label\n")
        for row, label in zip(features, labels):
            f.write(",".join("%.9g" % v for v in row) + ",%d\n" % label)
    torch.manual_seed(0)
    init = state(network())
    torch.save({"state_dict": init, "epoch": 0, "global_step": 0, "pytorch-lightning_version": "2.6.0"},
               os.path.join(out, "init.ckpt"))
    mp.spawn(train, args=(out, port), nprocs=2, join=True)


if __name__ == "__main__":
    main()
