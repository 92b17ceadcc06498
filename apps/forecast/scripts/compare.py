#!/usr/bin/python3
"""The forecast app's model trained by PyTorch: same initial weights, same windows, same batch
order (read from the job folder that scripts/compare.ts writes), then the same test scores.

Usage: compare.py JOB_DIR   (prints one JSON line: rmse, mae, seconds, best_epoch)
Needs PyTorch (Debian: apt-get install python3-torch; run with /usr/bin/python3).
"""
import json, math, os, struct, sys, time

import numpy as np
import torch
import torch.nn as nn


def load_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        assert info['dtype'] == 'F32', info
        a, b = info['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + a:8 + n + b], dtype='<f4').copy()).reshape(info['shape'])
    return out


class Forecaster(nn.Module):
    def __init__(self, c):
        super().__init__()
        rnn = nn.GRU if c['cell'] == 'gru' else nn.LSTM
        self.rnn = rnn(1, c['hidden'], num_layers=c['layers'], batch_first=True, dropout=c['dropout'] if c['layers'] > 1 else 0)
        self.head = nn.Linear(c['hidden'], c['horizon'])

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1, :])


def main(job_dir):
    job = json.load(open(os.path.join(job_dir, 'job.json')))
    torch.set_num_threads(job['threads'])  # as many as Torchlet used
    c, z, split = job['config'], job['z'], job['split']
    W, H = c['window'], c['horizon']
    torch.manual_seed(job['seed'])
    model = Forecaster(c)
    model.load_state_dict(load_safetensors(os.path.join(job_dir, 'init.safetensors')), strict=True)

    zs = torch.tensor(z, dtype=torch.float32)
    n = len(z) - W - H + 1
    windows = torch.stack([zs[i:i + W + H] for i in range(n)])
    last = windows[:, W - 1:W]
    X = (windows[:, :W] - last).unsqueeze(2)
    Y = windows[:, W:] - last
    val_idx = [i for i in range(n) if i + W + H <= split['valEnd'] and i + W + H - 1 >= split['trainEnd']]

    opt = torch.optim.Adam(model.parameters(), lr=job['lr'])
    best, best_epoch, best_state = math.inf, 0, None
    t0 = time.perf_counter()
    for epoch, order in enumerate(job['orders'], start=1):
        model.train()
        total = 0.0
        for b in range(0, len(order), job['batch']):
            rows = torch.tensor(order[b:b + job['batch']])
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(X[rows]), Y[rows])
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
        model.eval()
        with torch.no_grad():
            val = nn.functional.mse_loss(model(X[val_idx]), Y[val_idx]).item() if val_idx else total / len(order)
        if val < best:
            best, best_epoch = val, epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    seconds = time.perf_counter() - t0
    model.load_state_dict(best_state)
    model.eval()

    s = job['scaling']
    back = (lambda v: math.exp(v)) if s['transform'] == 'log' else (lambda v: v)
    values = job['values']
    origins = list(range(split['valEnd'], split['length'] - H + 1))
    with torch.no_grad():
        xs = torch.stack([zs[o - W:o] - zs[o - 1] for o in origins]).unsqueeze(2)
        out = model(xs)
    se = ae = 0.0
    for k, o in enumerate(origins):
        for h in range(H):
            f = back((float(zs[o - 1]) + float(out[k, h])) * s['scale'] + s['mean'])
            e = f - values[o + h]
            se += e * e
            ae += abs(e)
    m = len(origins) * H
    print(json.dumps({'rmse': math.sqrt(se / m), 'mae': ae / m, 'seconds': seconds, 'best_epoch': best_epoch, 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main(sys.argv[1])
