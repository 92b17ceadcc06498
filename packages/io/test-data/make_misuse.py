#!/usr/bin/python3
"""Generates the @torchlet/io test files for misuse and old files with real PyTorch (run: /usr/bin/python3 make_misuse.py).

Outputs (small, committed):
  dag24.pt          torch.save of a = [a, a] nested 24 deep: 2**24 paths to the innermost list, 25 objects
  cycle.pt          torch.save of a list that holds itself, next to a tensor
  expand-bomb.pt    100 views z.expand(2**24) of one z = torch.zeros(1): ~9 KB on disk, 6.7 GB if materialised
  bn-1d-count.pt    a BatchNorm1d(3) state dict whose num_batches_tracked has shape [1] (as older files have);
                    PyTorch's load_state_dict takes it into the 0-d buffer (asserted below)
"""
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def out(name):
    return os.path.join(HERE, name)


a = []
for _ in range(24):
    a = [a, a]
torch.save(a, out("dag24.pt"))
b = torch.load(out("dag24.pt"), weights_only=True)
assert b[0] is b[1]

c = [torch.tensor([1.0, 2.0])]
c.append(c)
torch.save(c, out("cycle.pt"))

z = torch.zeros(1)
torch.save({f"x{i}": z.expand(2**24) for i in range(100)}, out("expand-bomb.pt"))
bn = torch.nn.BatchNorm1d(3)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.0, 2.0, 3.0]))
sd = bn.state_dict()
sd["num_batches_tracked"] = torch.tensor([4])
torch.save(sd, out("bn-1d-count.pt"))
fresh = torch.nn.BatchNorm1d(3)
fresh.load_state_dict(torch.load(out("bn-1d-count.pt"), weights_only=True))
assert fresh.num_batches_tracked.shape == () and fresh.num_batches_tracked.item() == 4

names = ["dag24.pt", "cycle.pt", "expand-bomb.pt", "bn-1d-count.pt"]
print("wrote", ", ".join(f"{n} ({os.path.getsize(out(n))} bytes)" for n in names))
