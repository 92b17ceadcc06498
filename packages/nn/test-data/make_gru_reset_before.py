#!/usr/bin/python3
"""Reference values for nn.GRU / nn.GRUCell with resetAfter: false (Cho et al. 2014, Keras
reset_after=False), which PyTorch has no module for: a hand-written PyTorch loop,

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + W_hn (r * h) + b_hn),  h' = (1 - z) * n + z * h,

with autograd for the gradients of loss = sum_k sum(out_k * w_k) (w_k fixed random weights)
with respect to the input, h0 and every parameter (PyTorch's names and gate order r, z, n).

Run: /usr/bin/python3 make_gru_reset_before.py   (needs torch)
Writes gru_reset_before.safetensors: tensors '<case>/param.<name>', '<case>/in.<name>',
'<case>/out.<name>', '<case>/w.<name>', '<case>/grad.<param|in>.<name>'; the metadata entry
'cases' is the JSON list of {name, config}.
"""
import json
import os
import struct

import torch

torch.manual_seed(20240611)
HERE = os.path.dirname(os.path.abspath(__file__))
tensors = {}
cases = []


def gru_rb_step(x_proj, h, w_hh, b_hh):
    H = h.shape[1]
    gh_rz = h @ w_hh[: 2 * H].t()
    if b_hh is not None:
        gh_rz = gh_rz + b_hh[: 2 * H]
    r = torch.sigmoid(x_proj[:, :H] + gh_rz[:, :H])
    z = torch.sigmoid(x_proj[:, H : 2 * H] + gh_rz[:, H:])
    gh_n = (r * h) @ w_hh[2 * H :].t()
    if b_hh is not None:
        gh_n = gh_n + b_hh[2 * H :]
    n = torch.tanh(x_proj[:, 2 * H :] + gh_n)
    return (1 - z) * n + z * h


def layer(x, h0, p, sfx, lengths, reverse):
    """x [T, B, I] (padded, zeros past each length) -> out [T, B, H] (zeros past lengths), h_n [B, H]."""
    T = x.shape[0]
    gx = x @ p['weight_ih' + sfx].t()
    if 'bias_ih' + sfx in p:
        gx = gx + p['bias_ih' + sfx]
    h = h0
    outs = [None] * T
    for s in range(T):
        t = T - 1 - s if reverse else s
        h_new = gru_rb_step(gx[t], h, p['weight_hh' + sfx], p.get('bias_hh' + sfx))
        mask = (torch.tensor(lengths) > t).unsqueeze(1).to(x.dtype)
        h = mask * h_new + (1 - mask) * h
        outs[t] = mask * h_new
    return torch.stack(outs, 0), h


def gru(x, h0, p, L, D, lengths):
    hs = []
    inp = x
    for l in range(L):
        outs = []
        for d in range(D):
            sfx = f'_l{l}' + ('_reverse' if d == 1 else '')
            o, h = layer(inp, h0[l * D + d], p, sfx, lengths, d == 1)
            outs.append(o)
            hs.append(h)
        inp = torch.cat(outs, 2)
    return inp, torch.stack(hs, 0)


def put(case, key, t):
    tensors[f'{case}/{key}'] = t.detach().to(torch.float32).contiguous()


def rnd(*shape, scale=1.0):
    return (torch.rand(shape) * 2 - 1) * scale


def add_case(name, I, H, T, B, L=1, bidir=False, batch_first=False, bias=True, lengths=None, h0=True):
    D = 2 if bidir else 1
    k = 1 / H ** 0.5
    params = {}
    for l in range(L):
        for d in range(D):
            sfx = f'_l{l}' + ('_reverse' if d == 1 else '')
            params['weight_ih' + sfx] = rnd(3 * H, I if l == 0 else D * H, scale=k)
            params['weight_hh' + sfx] = rnd(3 * H, H, scale=k)
            if bias:
                params['bias_ih' + sfx] = rnd(3 * H, scale=k)
                params['bias_hh' + sfx] = rnd(3 * H, scale=k)
    lengths = lengths or [T] * B
    x = torch.randn(B, T, I) if batch_first else torch.randn(T, B, I)
    # zeros past each length, as padPackedSequence gives and a packed input ignores
    for b, n in enumerate(lengths):
        if batch_first:
            x[b, n:] = 0
        else:
            x[n:, b] = 0
    hx = torch.randn(L * D, B, H) * 0.5 if h0 else torch.zeros(L * D, B, H)
    ps = {n: v.clone().requires_grad_(True) for n, v in params.items()}
    xi = x.clone().requires_grad_(True)
    hi = hx.clone().requires_grad_(True)
    seq = xi.transpose(0, 1) if batch_first else xi
    out, h_n = gru(seq, hi, ps, L, D, lengths)
    if batch_first:
        out = out.transpose(0, 1)
    w_out = torch.randn(out.shape)
    w_h = torch.randn(h_n.shape)
    ((out * w_out).sum() + (h_n * w_h).sum()).backward()
    for n, v in params.items():
        put(name, 'param.' + n, v)
        put(name, 'grad.param.' + n, ps[n].grad)
    put(name, 'in.input', x)
    put(name, 'grad.in.input', xi.grad)
    if h0:
        put(name, 'in.h0', hx)
        put(name, 'grad.in.h0', hi.grad)
    put(name, 'out.output', out)
    put(name, 'out.h_n', h_n)
    put(name, 'w.output', w_out)
    put(name, 'w.h_n', w_h)
    cases.append({'name': name, 'config': {'module': 'GRU', 'input_size': I, 'hidden_size': H, 'num_layers': L, 'bidirectional': bidir,
                                           'batch_first': batch_first, 'bias': bias, 'seq': T, 'batch': B,
                                           'lengths': lengths if lengths != [T] * B else None}})


def add_cell(name, I, H, B, bias=True):
    k = 1 / H ** 0.5
    params = {'weight_ih': rnd(3 * H, I, scale=k), 'weight_hh': rnd(3 * H, H, scale=k)}
    if bias:
        params['bias_ih'] = rnd(3 * H, scale=k)
        params['bias_hh'] = rnd(3 * H, scale=k)
    x = torch.randn(B, I)
    h = torch.randn(B, H)
    ps = {n: v.clone().requires_grad_(True) for n, v in params.items()}
    xi = x.clone().requires_grad_(True)
    hi = h.clone().requires_grad_(True)
    gx = xi @ ps['weight_ih'].t() + (ps['bias_ih'] if bias else 0)
    h1 = gru_rb_step(gx, hi, ps['weight_hh'], ps.get('bias_hh'))
    w = torch.randn(h1.shape)
    (h1 * w).sum().backward()
    for n, v in params.items():
        put(name, 'param.' + n, v)
        put(name, 'grad.param.' + n, ps[n].grad)
    put(name, 'in.input', x)
    put(name, 'in.h0', h)
    put(name, 'grad.in.input', xi.grad)
    put(name, 'grad.in.h0', hi.grad)
    put(name, 'out.h1', h1)
    put(name, 'w.h1', w)
    cases.append({'name': name, 'config': {'module': 'GRUCell', 'input_size': I, 'hidden_size': H, 'bias': bias}})


# H = 8 and 16 take the whole-layer Wasm kernels (multiples of 8), H = 6 the per-step loop.
add_case('gru_rb_basic', I=5, H=8, T=6, B=3)
add_case('gru_rb_h6', I=4, H=6, T=5, B=2)
add_case('gru_rb_2layer', I=4, H=8, T=5, B=3, L=2)
add_case('gru_rb_bidir', I=3, H=8, T=7, B=2, bidir=True)
add_case('gru_rb_2layer_bidir', I=3, H=16, T=5, B=4, L=2, bidir=True)
add_case('gru_rb_packed', I=4, H=8, T=6, B=4, lengths=[3, 6, 1, 4])
add_case('gru_rb_packed_bidir_2layer', I=3, H=8, T=5, B=3, L=2, bidir=True, lengths=[5, 2, 4])
add_case('gru_rb_batch_first_no_h0', I=4, H=8, T=5, B=3, batch_first=True, h0=False)
add_case('gru_rb_no_bias', I=4, H=8, T=4, B=2, bias=False)
add_case('gru_rb_long', I=8, H=32, T=40, B=5)
add_cell('gru_rb_cell', I=5, H=8, B=3)
add_cell('gru_rb_cell_h6_no_bias', I=3, H=6, B=2, bias=False)

header = {'__metadata__': {'torch': torch.__version__, 'cases': json.dumps(cases)}}
blobs = []
offset = 0
for key in sorted(tensors):
    data = tensors[key].numpy().astype('<f4').tobytes()
    header[key] = {'dtype': 'F32', 'shape': list(tensors[key].shape), 'data_offsets': [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
hb = json.dumps(header, separators=(',', ':')).encode()
hb += b' ' * (-len(hb) % 8)
with open(os.path.join(HERE, 'gru_reset_before.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', len(hb)))
    f.write(hb)
    for b in blobs:
        f.write(b)
print(f'{len(cases)} cases, {len(tensors)} tensors')
