#!/usr/bin/env python3
"""Reference values of danling.optim.LRScheduler, computed from its rules (issue 5) in plain
Python, independently of the C++ plugin. Writes danling_lr.txt next to this file:
one line per case, `<lr> <method> <scaling> <final> v1 ... v101` (the lr for steps s = 1..101,
total_steps 100, default warmup 5 and cooldown 20, min_lr 1e-9). `final` is `ratio` (the
default final_lr_ratio 1e-3) or a final_lr value."""
import math
import os

TOTAL, MIN_LR = 100, 1e-9


def lr_at(lr, s, method, scaling, final_lr=None, ratio=None, min_lr=MIN_LR, total=TOTAL, warmup=None, cooldown=None):
    warmup = total // 20 if warmup is None else warmup
    cooldown = total // 5 if cooldown is None else cooldown
    if final_lr is not None:
        min_lr = min(min_lr, final_lr)
    p = min(max(s / total, 0.0), 1.0)
    r = {"linear": p, "cosine": 1 - (1 + math.cos(math.pi * p)) / 2, "constant": 0.0}[method]
    f = final_lr if final_lr is not None else lr * (1e-3 if ratio is None else ratio)
    out = lr * (f / lr) ** r if scaling == "percentile" else (1 - r) * (lr - f) + f
    if 0 < s < warmup:
        out = (s / warmup) * (out - min_lr) + min_lr
    elif cooldown > 0 and s > total - cooldown:
        out = (1 - (s - (total - cooldown)) / cooldown) * (out - min_lr) + min_lr
    return max(min_lr, out)


lines = []
for lr in (1.0, 0.1):
    for method in ("cosine", "linear", "constant"):
        for scaling in ("percentile", "numerical"):
            for final in ("ratio", "0.01"):
                final_lr = None if final == "ratio" else float(final)
                values = [lr_at(lr, s, method, scaling, final_lr=final_lr) for s in range(1, TOTAL + 2)]
                lines.append(" ".join([repr(lr), method, scaling, final] + [repr(v) for v in values]))
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "danling_lr.txt"), "w") as out:
    out.write("\n".join(lines) + "\n")
