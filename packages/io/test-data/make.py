#!/usr/bin/python3
"""Generates the @torchlet/io test files with real PyTorch (run: /usr/bin/python3 make.py).

Needs torch (Debian: apt-get install python3-torch). The `safetensors` Python package is used when it
is importable; otherwise the files are written by `st_format.py`, a direct implementation of the
format's reference serializer (same layout: dtype-alignment then name order, 8-byte padded header).

Outputs (all small, committed):
  pytorch-dtypes.safetensors (+ .json expected values)  every dtype, 0-d and empty tensors, metadata
  int64-overflow.safetensors                            an I64 value outside int32
  model.pt (+ model.json)                               torch.save(model.state_dict()), protocol 2:
                                                        Linear/BatchNorm1d (int64 num_batches_tracked),
                                                        a transposed buffer and a strided slice with offset
  model-proto4.pt                                       same state dict with pickle_protocol=4
  model-deflate.pt                                      same archive re-zipped with deflate
  dtypes.pt (+ dtypes.json)                             float16/bfloat16/float64/int8/int16/int32/int64/uint8/bool
  checkpoint.pt                                         {'model': state_dict, 'epoch', 'lr', 'history', ...}
  evil-reduce.pt                                        torch.save of an object whose __reduce__ is os.system
  evil-global.pt                                        hand-made data.pkl: GLOBAL os.system + REDUCE
  evil-stack-global.pt                                  protocol 4: STACK_GLOBAL builtins.eval + REDUCE
"""
import collections
import io
import json
import os
import struct
import sys
import zipfile

import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import st_format  # noqa: E402

torch.manual_seed(0)


def fixed_info(name, compress):
    """A ZipInfo with a fixed timestamp, so that regenerated files are byte-identical."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compress
    return info


def out(name):
    return os.path.join(HERE, name)


def flat(t):
    t = t.detach()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    return t.reshape(-1).tolist()


def describe(sd):
    return {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape), "values": flat(v)} for k, v in sd.items()}


# ---- safetensors ------------------------------------------------------------------------------
st = collections.OrderedDict()
st["f32"] = torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4 - 0.5
st["f64"] = torch.tensor([1 / 3, -2.5, 1e300], dtype=torch.float64)
st["f16"] = torch.tensor([0.5, -1.25, 65504.0, 6.103515625e-05, 0.0], dtype=torch.float16)
st["bf16"] = torch.tensor([[1.5, -3.0], [256.0, 0.0078125]], dtype=torch.bfloat16)
st["i64"] = torch.tensor([0, -1, 2147483647, -2147483648, 42], dtype=torch.int64)
st["i32"] = torch.tensor([[7, -8], [9, -10]], dtype=torch.int32)
st["u8"] = torch.tensor([0, 1, 128, 255], dtype=torch.uint8)
st["bool"] = torch.tensor([True, False, True], dtype=torch.bool)
st["scalar"] = torch.tensor(3.25, dtype=torch.float32)
st["empty"] = torch.zeros(0, 3, dtype=torch.float32)
meta = {"format": "pt", "source": "make.py"}
st_format.save_file(dict(st), out("pytorch-dtypes.safetensors"), metadata=meta)
with open(out("pytorch-dtypes.json"), "w") as f:
    json.dump({"metadata": meta, "tensors": describe(st)}, f, indent=1)
st_format.save_file({"ok": torch.ones(2), "big": torch.tensor([1, 2**40], dtype=torch.int64)}, out("int64-overflow.safetensors"))


# ---- .pt state dicts ------------------------------------------------------------------------
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 3)
        self.bn = torch.nn.BatchNorm1d(3)
        self.fc2 = torch.nn.Linear(3, 2)
        base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
        self.register_buffer("transposed", base.t())  # stride (1, 4): non-contiguous
        big = torch.arange(20, dtype=torch.float32).reshape(4, 5)
        self.register_buffer("strided", big[1:3, ::2])  # storage offset 5, stride (5, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


net = Net()
net.train()
for _ in range(3):
    net(torch.randn(8, 4))
net.eval()
sd = net.state_dict()
assert not sd["transposed"].is_contiguous() and sd["strided"].storage_offset() == 5
torch.save(sd, out("model.pt"))
torch.save(sd, out("model-proto4.pt"), pickle_protocol=4)
with zipfile.ZipFile(out("model.pt")) as zin, zipfile.ZipFile(out("model-deflate.pt"), "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        zout.writestr(fixed_info(info.filename, zipfile.ZIP_DEFLATED), zin.read(info.filename))
x = torch.linspace(-1, 1, 8).reshape(2, 4)
with torch.no_grad():
    y = net(x)
model_json = describe(sd)
with open(out("model.json"), "w") as f:
    json.dump({"keys": list(sd.keys()), "tensors": model_json, "input": flat(x), "input_shape": list(x.shape), "output": flat(y), "output_shape": list(y.shape)}, f, indent=1)

dt = collections.OrderedDict()
dt["half"] = torch.tensor([0.5, -2.0, 1024.0], dtype=torch.float16)
dt["bfloat"] = torch.tensor([1.0, -0.25], dtype=torch.bfloat16)
dt["double"] = torch.tensor([[1 / 3, 2.0]], dtype=torch.float64)
dt["int8"] = torch.tensor([-128, 127], dtype=torch.int8)
dt["int16"] = torch.tensor([-30000, 30000], dtype=torch.int16)
dt["int32"] = torch.tensor([-5, 6], dtype=torch.int32)
dt["int64"] = torch.tensor([[-(2**31), 2**31 - 1]], dtype=torch.int64)
dt["uint8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
dt["bool"] = torch.tensor([[True], [False]])
dt["scalar"] = torch.tensor(7, dtype=torch.int64)
dt["empty"] = torch.zeros(2, 0)
torch.save(dt, out("dtypes.pt"))
with open(out("dtypes.json"), "w") as f:
    json.dump({"tensors": describe(dt)}, f, indent=1)

torch.save({"model": sd, "epoch": 3, "lr": 0.1, "history": [1.5, 0.5], "name": "run", "done": False, "extra": None,
            "pair": (1, "two"), "big": 2**70}, out("checkpoint.pt"))


# ---- malicious files --------------------------------------------------------------------------
class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


torch.save({"weight": torch.ones(1), "payload": Evil()}, out("evil-reduce.pt"))


def zip_pickle(name, pkl):
    with zipfile.ZipFile(out(name), "w", zipfile.ZIP_STORED) as z:
        z.writestr(fixed_info("archive/data.pkl", zipfile.ZIP_STORED), pkl)
        z.writestr(fixed_info("archive/version", zipfile.ZIP_STORED), "3\n")


zip_pickle("evil-global.pt", b"\x80\x02cos\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.")
zip_pickle("evil-stack-global.pt", b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x0aprint(123)\x94\x85\x94R\x94.")
print("wrote test data to", HERE)
