#!/usr/bin/python3
"""Loads a torchlet-sentiment model into a PyTorch nn.Module and classifies lines of stdin:
the same labels and probabilities as `torchlet-sentiment predict MODEL -`.
Usage: load_in_pytorch.py MODEL.json < texts.txt      (Debian: apt-get install python3-torch)"""
import json, os, re, struct, sys
import numpy as np, torch, torch.nn as nn

meta = json.load(open(sys.argv[1]))
raw = open(os.path.join(os.path.dirname(sys.argv[1]), meta['weights']['file']), 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
state = {k: torch.from_numpy(np.frombuffer(raw[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]], '<f4').reshape(v['shape']).copy())
         for k, v in json.loads(raw[8:8 + n]).items() if k != '__metadata__'}

class SentimentGRU(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embedding = nn.Embedding(c['vocab'], c['embed'], padding_idx=0)
        self.gru = nn.GRU(c['embed'], c['hidden'], num_layers=c['layers'], bidirectional=c['bidirectional'], batch_first=True)
        self.fc = nn.Linear(c['hidden'] * (2 if c['bidirectional'] else 1), c['classes'])
    def forward(self, ids):  # one text at a time: no padding, no packing needed
        _, h = self.gru(self.embedding(ids))
        return self.fc(torch.cat(list(h[-(2 if self.gru.bidirectional else 1):]), 1))

model = SentimentGRU(meta['config']); model.load_state_dict(state); model.eval()
stoi = {t: i for i, t in enumerate(meta['vocab'])}
rules = [(r"'", " '  "), (r'"', ''), (r'\.', ' . '), (r'<br \/>', ' '), (r',', ' , '), (r'\(', ' ( '), (r'\)', ' ) '),
         (r'!', ' ! '), (r'\?', ' ? '), (r';', ' '), (r':', ' '), (r'\s+', ' ')]  # torchtext's basic_english
def tokens(line):
    line = line.lower()
    for pattern, repl in rules: line = re.sub(pattern, repl, line)
    return [t for t in line.split(' ') if t][:meta['maxLength']] or ['<unk>']
for line in sys.stdin:
    if not line.strip(): continue
    ids = torch.tensor([[stoi.get(t, stoi['<unk>']) for t in tokens(line.rstrip('\n'))]])
    p = torch.softmax(model(ids), 1)[0]
    print(f"{meta['labels'][int(p.argmax())]}\t{float(p.max()):.4f}")
