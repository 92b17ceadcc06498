"""A direct Python implementation of the safetensors format (for machines without the `safetensors`
package): `save_file` lays files out as the reference serializer does and `load_file` validates as
the reference reader does. When `safetensors` is importable, its own functions are used instead."""
import json
import struct

import torch

try:
    import safetensors.torch as _st  # type: ignore
except ImportError:  # pragma: no cover
    _st = None

READER = "safetensors" if _st else "st_format (pure-Python reference-format reader)"

_DTYPES = {
    "BOOL": (torch.bool, 1, 0), "U8": (torch.uint8, 1, 1), "I8": (torch.int8, 1, 2), "I16": (torch.int16, 2, 5),
    "F16": (torch.float16, 2, 7), "BF16": (torch.bfloat16, 2, 8), "I32": (torch.int32, 4, 9),
    "F32": (torch.float32, 4, 11), "F64": (torch.float64, 8, 12), "I64": (torch.int64, 8, 13),
}
_NAMES = {v[0]: k for k, v in _DTYPES.items()}


def save_file(tensors, path, metadata=None):
    if _st:
        return _st.save_file(tensors, path, metadata=metadata)
    items = sorted(tensors.items(), key=lambda kv: (-_DTYPES[_NAMES[kv[1].dtype]][2], kv[0]))
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in items:
        data = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)) + hb + b"".join(chunks))


def load_file(path):
    if _st:
        return _st.load_file(path)
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError("HeaderTooSmall")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > 100_000_000:
        raise ValueError("HeaderTooLarge")
    if 8 + n > len(buf):
        raise ValueError("InvalidHeaderLength")
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    start, out, data = 0, {}, buf[8 + n:]
    for name, info in entries:
        s, e = info["data_offsets"]
        if s != start or e < s:
            raise ValueError(f"InvalidOffset({name})")
        dtype, size, _ = _DTYPES[info["dtype"]]
        numel = 1
        for d in info["shape"]:
            numel *= d
        if e - s != numel * size:
            raise ValueError("TensorInvalidInfo")
        start = e
        raw = bytearray(data[s:e])
        t = torch.frombuffer(raw, dtype=torch.uint8).view(dtype) if raw else torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(info["shape"])
    if start != len(data):
        raise ValueError("MetadataIncompleteBuffer")
    return out
