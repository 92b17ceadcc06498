#!/usr/bin/python3
"""Generates the @torchlet/io test files for load limits with real PyTorch (run: /usr/bin/python3 make_limits.py).

Outputs (small, committed):
  dag24.pt          torch.save of a = [a, a] nested 24 deep: 2**24 paths to the innermost list, 25 objects
  cycle.pt          torch.save of a list that holds itself, next to a tensor
  expand-bomb.pt    100 views z.expand(2**24) of one z = torch.zeros(1): ~9 KB on disk, 6.7 GB if materialised
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
print("wrote", ", ".join(f"{n} ({os.path.getsize(out(n))} bytes)" for n in ["dag24.pt", "cycle.pt", "expand-bomb.pt"]))
