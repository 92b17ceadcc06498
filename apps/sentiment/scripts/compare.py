#!/usr/bin/python3
"""The sentiment app's model trained by PyTorch: the same vocabulary, initial weights and
hyper-parameters (its own shuffles), then test accuracy. Reads the job folder written by
scripts/compare.ts; prints one JSON line. Needs PyTorch (Debian: apt-get install python3-torch).
"""
import csv, json, os, re, struct, sys, time

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

RULES = [(r"'", " '  "), (r'"', ''), (r'\.', ' . '), (r'<br \/>', ' '), (r',', ' , '), (r'\(', ' ( '), (r'\)', ' ) '),
         (r'!', ' ! '), (r'\?', ' ? '), (r';', ' '), (r':', ' '), (r'\s+', ' ')]


def tokens(text, max_length):
    text = text.lower()
    for pattern, repl in RULES:
        text = re.sub(pattern, repl, text)
    return [t for t in text.split(' ') if t][:max_length] or ['<unk>']


def load_safetensors(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    return {k: torch.from_numpy(np.frombuffer(raw[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]], '<f4').reshape(v['shape']).copy())
            for k, v in json.loads(raw[8:8 + n]).items() if k != '__metadata__'}


class SentimentGRU(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embedding = nn.Embedding(c['vocab'], c['embed'], padding_idx=0)
        self.gru = nn.GRU(c['embed'], c['hidden'], num_layers=c['layers'], bidirectional=c['bidirectional'], batch_first=True,
                          dropout=c['dropout'] if c['layers'] > 1 else 0)
        self.fc = nn.Linear(c['hidden'] * (2 if c['bidirectional'] else 1), c['classes'])
        self.directions = 2 if c['bidirectional'] else 1

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(self.embedding(padded), lengths, batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)
        return self.fc(torch.cat(list(h[-self.directions:]), 1))


def read(path, job):
    with open(path, encoding='utf-8') as f:
        rows = list(csv.DictReader(f, delimiter='\t', quoting=csv.QUOTE_NONE))
    stoi = {t: i for i, t in enumerate(job['vocab'])}
    return [(torch.tensor([stoi.get(t, 1) for t in tokens(r[job['text_column']], job['max_length'])]), job['labels'].index(r[job['label_column']])) for r in rows]


def batches(samples, size, shuffle, generator=None):
    order = torch.randperm(len(samples), generator=generator).tolist() if shuffle else range(len(samples))
    order = list(order)
    for b in range(0, len(order), size):
        chunk = [samples[i] for i in order[b:b + size]]
        yield pad_sequence([s[0] for s in chunk], batch_first=True), torch.tensor([len(s[0]) for s in chunk]), torch.tensor([s[1] for s in chunk])


def main(job_dir):
    job = json.load(open(os.path.join(job_dir, 'job.json')))
    torch.set_num_threads(job['threads'])
    torch.manual_seed(job['seed'])
    model = SentimentGRU(job['config'])
    model.load_state_dict(load_safetensors(os.path.join(job_dir, 'init.safetensors')), strict=True)
    train, test = read(job['train'], job), read(job['test'], job)
    opt = torch.optim.Adam(model.parameters(), lr=job['lr'])
    g = torch.Generator().manual_seed(job['seed'])
    t0 = time.perf_counter()
    for _ in range(job['epochs']):
        model.train()
        for padded, lengths, y in batches(train, job['batch'], True, g):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(padded, lengths), y)
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - t0
    model.eval()
    right = 0
    with torch.no_grad():
        for padded, lengths, y in batches(test, 128, False):
            right += int((model(padded, lengths).argmax(1) == y).sum())
    print(json.dumps({'accuracy': right / len(test), 'seconds': seconds, 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main(sys.argv[1])
