#!/usr/bin/python3
"""Cross-check: loads a safetensors file written by Torchlet with PyTorch and compares it with the
expected values in a JSON file ({name: {"dtype": "float32", "shape": [...], "values": [...]}}).
Prints 'OK <reader>' and exits 0 when every tensor matches exactly."""
import json
import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import st_format  # noqa: E402

path, expected_path = sys.argv[1], sys.argv[2]
with open(expected_path) as f:
    expected = json.load(f)
loaded = st_format.load_file(path)
if sorted(loaded) != sorted(expected):
    sys.exit(f"keys differ: {sorted(loaded)} vs {sorted(expected)}")
for name, exp in expected.items():
    t = loaded[name]
    if str(t.dtype) != "torch." + exp["dtype"]:
        sys.exit(f"{name}: dtype {t.dtype}, expected {exp['dtype']}")
    if list(t.shape) != exp["shape"]:
        sys.exit(f"{name}: shape {list(t.shape)}, expected {exp['shape']}")
    got = t.reshape(-1).tolist()
    for i, (g, e) in enumerate(zip(got, exp["values"])):
        same = (math.isnan(g) and math.isnan(e)) if isinstance(g, float) and isinstance(e, float) and math.isnan(e) else g == e
        if not same:
            sys.exit(f"{name}[{i}]: {g!r}, expected {e!r}")
print("OK", st_format.READER, "torch", torch.__version__)
