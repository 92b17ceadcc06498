"""PyTorch on the benchmark's shapes, for `pnpm bench` (tooling/bench/src/peers/pytorch.ts).

Usage: python3 pytorch_peer.py THREADS WORKLOAD[,WORKLOAD...]
Prints one JSON object: {"torch": version, "threads": n, "blas": library, "results": {case: [ms, ...]}}.
Each case is timed after warm-up; the samples are milliseconds per call.
"""
import json
import sys
import time

import torch


def timed(fn, warmup=1, runs=3, target_ms=1000.0):
    for _ in range(warmup):
        fn()
    samples = []
    total = 0.0
    while len(samples) < runs or (len(samples) < 20 and total < target_ms):
        t0 = time.perf_counter()
        fn()
        dt = (time.perf_counter() - t0) * 1000.0
        samples.append(dt)
        total += dt
    return samples


def matmul():
    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    return {"W1 matmul 1024": timed(lambda: torch.mm(a, b))}


def elementwise():
    x = torch.randn(10_000_000)
    out = torch.empty_like(x)

    def inplace():
        torch.tanh(x, out=out)
        out.mul_(torch.sigmoid(x)).add_(x)

    return {
        "W4 eager": timed(lambda: torch.tanh(x) * torch.sigmoid(x) + x),
        "W4 in place": timed(inplace),
    }


def recurrent(kind):
    torch.manual_seed(0)
    layer = (torch.nn.GRU if kind == "gru" else torch.nn.LSTM)(128, 256)
    x = torch.randn(64, 32, 128)

    def forward():
        with torch.no_grad():
            layer(x)

    def both():
        out, _ = layer(x)
        out.sum().backward()
        for p in layer.parameters():
            p.grad = None

    return {f"{kind} forward": timed(forward), f"{kind} forward+backward": timed(both)}


def blas_library():
    """The BLAS shared library this process loaded (torch.mm goes through it on Debian's build)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split("/")[-1].strip() for line in f if "blas" in line.lower()}
        return ", ".join(sorted(libs)) or "unknown"
    except OSError:
        return "unknown"


def main():
    threads = int(sys.argv[1])
    names = sys.argv[2].split(",")
    torch.set_num_threads(threads)
    results = {}
    for name in names:
        if name == "matmul":
            results.update(matmul())
        elif name == "elementwise":
            results.update(elementwise())
        elif name in ("gru", "lstm"):
            results.update(recurrent(name))
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library(), "results": results}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
