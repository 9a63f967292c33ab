"""A lighter checkpoint in Python's torch: Lightning's layout, the weights load strictly into the
same network written in Python, the optimizer state loads into torch.optim.Adam, and the network
reproduces the probabilities lighter wrote for each sample (FileWriter .pt files).

usage: check_checkpoint.py CKPT INPUTS_DIR PROBS_DIR
"""
import pathlib
import sys

import torch

ckpt_path, inputs_dir, probs_dir = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
ckpt = torch.load(ckpt_path, map_location="cpu")
for key in ("state_dict", "epoch", "global_step", "optimizer_states", "lr_schedulers", "callbacks", "hyper_parameters"):
    assert key in ckpt, f"checkpoint has no '{key}': {sorted(ckpt)}"
assert ckpt["epoch"] == 1 and ckpt["global_step"] == 16, (ckpt["epoch"], ckpt["global_step"])

# SupervisedModule keeps the network under `network.`, as a LighterModule does.
net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
state = {k.removeprefix("network."): v for k, v in ckpt["state_dict"].items()}
net.load_state_dict(state, strict=True)

optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
optimizer.load_state_dict(ckpt["optimizer_states"][0])
assert optimizer.param_groups[0]["lr"] == 0.01
for p in net.parameters():
    assert optimizer.state[p]["step"] == 16, optimizer.state[p]["step"]

files = sorted(inputs_dir.glob("*.pt"))
assert len(files) == 64, len(files)
worst = 0.0
with torch.no_grad():
    for f in files:
        x = torch.load(f)
        expected = torch.load(probs_dir / f.name)
        got = torch.softmax(net(x.unsqueeze(0)), dim=1).squeeze(0)
        worst = max(worst, (got - expected).abs().max().item())
assert worst < 1e-5, worst
print(f"ok: {len(files)} samples, largest difference {worst:.2e}")
