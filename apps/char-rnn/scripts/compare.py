#!/usr/bin/python3
"""The char-rnn app's model trained by PyTorch from the same initial weights on the same
streams of the same text, for the same step or time budget; then the same validation bits per
character. Reads the job folder that scripts/compare.ts writes; prints one JSON line.

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
        a, b = info['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + a:8 + n + b], dtype='<f4').copy()).reshape(info['shape'])
    return out


class CharRNN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embedding = nn.Embedding(c['vocab'], c['embed'])
        rnn = nn.GRU if c['cell'] == 'gru' else nn.LSTM
        self.rnn = rnn(c['embed'], c['hidden'], num_layers=c['layers'], batch_first=True, dropout=c['dropout'] if c['layers'] > 1 else 0)
        self.decoder = nn.Linear(c['hidden'], c['vocab'])

    def forward(self, ids, h=None):
        out, h = self.rnn(self.embedding(ids), h)
        return self.decoder(out), h


def detach(h):
    return tuple(x.detach() for x in h) if isinstance(h, tuple) else h.detach()


def bpc(model, ids, batch, bptt):
    per = len(ids) // batch
    data = ids[:per * batch].view(batch, per)
    model.eval()
    total, count, h = 0.0, 0, None
    with torch.no_grad():
        for p in range(0, per - 1, bptt):
            n = min(bptt, per - 1 - p)
            logits, h = model(data[:, p:p + n], h)
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), data[:, p + 1:p + 1 + n].reshape(-1), reduction='sum').item()
            count += n * batch
    return total / count / math.log(2)


def main(job_dir):
    job = json.load(open(os.path.join(job_dir, 'job.json')))
    torch.set_num_threads(job['threads'])  # as many as Torchlet used
    m, t = job['model'], job['train']
    torch.manual_seed(t['seed'])
    model = CharRNN(m)
    model.load_state_dict(load_safetensors(os.path.join(job_dir, 'init.safetensors')), strict=True)
    text = open(job['text'], encoding='utf-8').read()
    index = {c: i for i, c in enumerate(job['chars'])}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_val = int(len(ids) * job['val_fraction'])
    train, val = ids[:len(ids) - n_val], ids[len(ids) - n_val:]
    per = len(train) // t['batch']
    data = train[:per * t['batch']].view(t['batch'], per)
    opt = torch.optim.Adam(model.parameters(), lr=t['lr'])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, t['steps'])
    deadline = time.perf_counter() + job['minutes'] * 60
    t0 = time.perf_counter()
    step, pos, h = 0, 0, None
    while step < t['steps']:
        if pos + t['bptt'] + 1 > per:
            pos, h = 0, None
        model.train()
        opt.zero_grad()
        logits, h = model(data[:, pos:pos + t['bptt']], h)
        loss = nn.functional.cross_entropy(logits.reshape(-1, m['vocab']), data[:, pos + 1:pos + 1 + t['bptt']].reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), t['clip'])
        opt.step()
        sched.step()
        h = detach(h)
        pos += t['bptt']
        step += 1
        if time.perf_counter() >= deadline:
            break
    seconds = time.perf_counter() - t0
    vb = min(t['batch'], max(1, len(val) // (t['bptt'] + 1)))
    print(json.dumps({'steps': step, 'seconds': seconds, 'bpc': bpc(model, val, vb, t['bptt']), 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main(sys.argv[1])
