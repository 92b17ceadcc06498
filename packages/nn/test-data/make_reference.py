#!/usr/bin/python3
"""Reference values for @torchlet/nn tests beyond tooling/fixtures/pytorch, computed by real PyTorch.

Run: /usr/bin/python3 make_reference.py   (needs torch; Debian: apt-get install python3-torch)
Writes reference.json: for each case the inputs, the outputs and the gradients of
loss = sum_k sum(out_k * w_k) with respect to every float input (w_k fixed random weights).
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
HERE = os.path.dirname(os.path.abspath(__file__))
cases = []


def enc(t):
    t = t.detach()
    dtype = 'int32' if t.dtype in (torch.int64, torch.int32) else ('bool' if t.dtype == torch.bool else 'float32')
    return {'shape': list(t.shape), 'dtype': dtype, 'data': t.reshape(-1).tolist()}


def case(name, fn, nograd=(), **inputs):
    ins = {k: (v.clone().requires_grad_(True) if v.is_floating_point() and k not in nograd and k not in ('t', 'y', 'cw') else v) for k, v in inputs.items()}
    out = fn(**ins)
    outs = out if isinstance(out, dict) else {'output': out}
    loss = 0
    ws = {}
    for k, o in outs.items():
        if o.is_floating_point() and o.requires_grad:
            w = torch.randn(o.shape)
            ws[k] = w
            loss = loss + (o * w).sum()
    grads = {}
    if ws:
        loss.backward()
        grads = {k: enc(v.grad) for k, v in ins.items() if v.is_floating_point() and v.grad is not None}
    cases.append({'name': name, 'inputs': {k: enc(v) for k, v in inputs.items()}, 'outputs': {k: enc(v) for k, v in outs.items()},
                  'weights': {k: enc(v) for k, v in ws.items()}, 'grads': grads})


R = torch.randn
L = lambda *s, hi=5: torch.randint(0, hi, s)

# ---- convolution ----
case('conv2d_groups_dilation', lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=(2, 1), dilation=2, groups=2), x=R(2, 4, 7, 6), w=R(6, 2, 3, 2), b=R(6))
case('conv1d_same_even', lambda x, w: F.conv1d(x, w, padding='same'), x=R(2, 3, 9), w=R(4, 3, 4))
case('conv1d_stride_nobias', lambda x, w: F.conv1d(x, w, stride=3), x=R(1, 2, 10), w=R(3, 2, 2))
case('conv2d_unbatched', lambda x, w, b: F.conv2d(x, w, b, padding=1), x=R(3, 5, 5), w=R(2, 3, 3, 3), b=R(2))
case('conv1d_reflect', lambda x, w, b: torch.nn.functional.conv1d(F.pad(x, (2, 2), mode='reflect'), w, b), x=R(2, 3, 8), w=R(4, 3, 5), b=R(4))
case('conv2d_circular', lambda x, w: F.conv2d(F.pad(x, (1, 1, 1, 1), mode='circular'), w), x=R(1, 2, 5, 4), w=R(3, 2, 3, 3))
# ---- pooling ----
case('max_pool2d_pad_ceil', lambda x: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), x=R(2, 3, 8, 7))
case('max_pool2d_dilation', lambda x: F.max_pool2d(x, 2, stride=1, dilation=2), x=R(1, 2, 6, 6))
case('max_pool1d_indices', lambda x: dict(zip(('values', 'indices'), F.max_pool1d(x, 3, stride=2, padding=1, return_indices=True))), x=R(2, 3, 10))
case('max_pool2d_indices', lambda x: dict(zip(('values', 'indices'), F.max_pool2d(x, 2, return_indices=True))), x=R(1, 2, 4, 6))
case('avg_pool2d_pad_ceil_exclude', lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), x=R(2, 3, 8, 7))
case('avg_pool2d_pad_include', lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), x=R(1, 2, 8, 7))
case('avg_pool2d_divisor', lambda x: F.avg_pool2d(x, 2, divisor_override=3), x=R(1, 2, 4, 4))
case('avg_pool1d', lambda x: F.avg_pool1d(x, 3, stride=2), x=R(2, 3, 9))
case('adaptive_avg_pool2d', lambda x: F.adaptive_avg_pool2d(x, (3, 4)), x=R(2, 3, 5, 7))
case('adaptive_avg_pool1d', lambda x: F.adaptive_avg_pool1d(x, 4), x=R(2, 3, 10))
case('adaptive_max_pool2d', lambda x: F.adaptive_max_pool2d(x, (2, 3)), x=R(2, 3, 5, 7))
case('adaptive_max_pool1d', lambda x: F.adaptive_max_pool1d(x, 3), x=R(2, 2, 7))
# ---- normalisation ----
case('layer_norm_2d', lambda x, w, b: F.layer_norm(x, (3, 4), w, b, eps=1e-3), x=R(2, 5, 3, 4), w=R(3, 4), b=R(3, 4))
case('group_norm', lambda x, w, b: F.group_norm(x, 2, w, b), x=R(3, 6, 4, 2), w=R(6), b=R(6))
case('instance_norm', lambda x: F.instance_norm(x), x=R(2, 3, 6))
case('batch_norm2d_train', lambda x, w, b: F.batch_norm(x, torch.zeros(3), torch.ones(3), w, b, training=True), x=R(4, 3, 2, 5), w=R(3), b=R(3))
case('batch_norm_eval', lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, training=False), nograd=('rm', 'rv'), x=R(4, 3), rm=R(3), rv=torch.rand(3) + 0.5, w=R(3), b=R(3))
case('normalize', lambda x: F.normalize(x, p=3, dim=0), x=R(4, 5))
# ---- embedding ----
W = R(12, 4)
case('embedding_bag_max_padding', lambda w, i, o: F.embedding_bag(i, w, o, mode='max', padding_idx=3), w=W, i=torch.tensor([1, 3, 5, 3, 3, 7, 2, 2, 9]), o=torch.tensor([0, 3, 5, 5, 6]))
case('embedding_bag_mean_padding_1d', lambda w, i, o: F.embedding_bag(i, w, o, mode='mean', padding_idx=3), w=W, i=torch.tensor([1, 3, 5, 3, 3, 7, 2, 2, 9]), o=torch.tensor([0, 3, 5, 5, 6]))
case('embedding_bag_last_offset', lambda w, i, o: F.embedding_bag(i, w, o, mode='sum', include_last_offset=True), w=W, i=torch.tensor([1, 4, 5, 6, 8, 9]), o=torch.tensor([0, 2, 2, 6]))
case('embedding_bag_2d_max', lambda w, i: F.embedding_bag(i, w, mode='max'), w=W, i=torch.tensor([[1, 4, 5], [6, 6, 9]]))
case('embedding_scale_grad', lambda w, i: F.embedding(i, w, scale_grad_by_freq=True), w=W, i=torch.tensor([[1, 4, 1], [6, 1, 4]]))
case('embedding_max_norm', lambda w, i: F.embedding(i, w.detach().clone(), max_norm=1.0), w=W * 3, i=torch.tensor([0, 2, 2, 7]))
case('bilinear', lambda a, b, w, c: F.bilinear(a, b, w, c), a=R(3, 5), b=R(3, 4), w=R(2, 5, 4), c=R(2))
# ---- activations ----
X = R(3, 8) * 3
for nm, fn in [('selu', F.selu), ('celu', lambda x: F.celu(x, 0.7)), ('softplus_beta', lambda x: F.softplus(x, beta=2, threshold=5)),
               ('hardtanh', lambda x: F.hardtanh(x, -0.5, 2.0)), ('relu6', F.relu6), ('hardsigmoid', F.hardsigmoid), ('hardswish', F.hardswish),
               ('mish', F.mish), ('logsigmoid', F.logsigmoid), ('softsign', F.softsign), ('tanhshrink', F.tanhshrink),
               ('hardshrink', lambda x: F.hardshrink(x, 0.8)), ('softshrink', lambda x: F.softshrink(x, 0.8)), ('glu', F.glu),
               ('threshold', lambda x: F.threshold(x, 0.3, -2.0)), ('softmin', lambda x: F.softmin(x, dim=0)), ('gelu_tanh', lambda x: F.gelu(x, approximate='tanh')),
               ('elu_alpha', lambda x: F.elu(x, 0.5)), ('silu', F.silu)]:
    case(nm, lambda x, fn=fn: fn(x), x=X)
case('prelu', lambda x, w: F.prelu(x, w), x=R(2, 3, 4), w=R(3))
# ---- losses ----
I, T = R(6, 5), torch.tensor([0, 2, 4, 2, 1, 3])
CW = torch.rand(5) + 0.2
for red in ('mean', 'sum', 'none'):
    case(f'ce_weight_ignore_smooth_{red}', lambda x, t, cw, red=red: F.cross_entropy(x, t, weight=cw, ignore_index=2, label_smoothing=0.2, reduction=red), nograd=('cw',), x=I, t=T, cw=CW)
    case(f'ce_smooth_ignore_{red}', lambda x, t, red=red: F.cross_entropy(x, t, ignore_index=2, label_smoothing=0.3, reduction=red), x=I, t=T)
    case(f'nll_weight_{red}', lambda x, t, cw, red=red: F.nll_loss(x, t, weight=cw, reduction=red), nograd=('cw',), x=I, t=T, cw=CW)
case('ce_spatial', lambda x, t: F.cross_entropy(x, t), x=R(2, 4, 3, 2), t=L(2, 3, 2, hi=4))
case('ce_1d', lambda x, t: F.cross_entropy(x, t), x=R(5), t=torch.tensor(3))
case('ce_probs_weight_smooth', lambda x, t, cw: F.cross_entropy(x, t, weight=cw, label_smoothing=0.1), nograd=('cw', 't'), x=I, t=F.softmax(R(6, 5), 1), cw=CW)
case('ce_probs_none', lambda x, t: F.cross_entropy(x, t, reduction='none'), x=I, t=F.softmax(R(6, 5), 1))
P = torch.rand(4, 3) * 0.9 + 0.05
case('bce', lambda x, t, w: F.binary_cross_entropy(x, t, weight=w), nograd=('t', 'w'), x=P, t=torch.rand(4, 3), w=torch.rand(4, 3))
case('bce_logits_weight', lambda x, t, w: F.binary_cross_entropy_with_logits(x, t, weight=w, reduction='sum'), nograd=('w',), x=R(4, 3) * 4, t=torch.rand(4, 3), w=torch.rand(3))
case('kl_div_log_target', lambda x, t: F.kl_div(x, t, reduction='sum', log_target=True), x=F.log_softmax(R(3, 4), 1), t=F.log_softmax(R(3, 4), 1))
case('kl_div_mean_zeros', lambda x, t: F.kl_div(x, t), x=F.log_softmax(R(3, 4), 1), t=torch.tensor([[0.5, 0.5, 0, 0], [1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]]))
case('cosine_embedding', lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.2), a=R(5, 4), b=R(5, 4), y=torch.tensor([1, -1, 1, -1, -1]))
case('margin_ranking', lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.1), a=R(6), b=R(6), y=torch.tensor([1., -1, 1, -1, 1, 1]))
case('hinge_embedding', lambda x, y: F.hinge_embedding_loss(x, y, margin=0.5), x=R(6), y=torch.tensor([1., -1, 1, -1, -1, 1]))
case('soft_margin', lambda x, y: F.soft_margin_loss(x, y), x=R(6), y=torch.tensor([1., -1, 1, -1, -1, 1]))
case('smooth_l1_beta0', lambda x, t: F.smooth_l1_loss(x, t, beta=0.0, reduction='sum'), x=R(3, 4), t=R(3, 4))
case('mse_none', lambda x, t: F.mse_loss(x, t, reduction='none'), x=R(3, 4), t=R(3, 4))
case('poisson_nll', lambda x, t: F.poisson_nll_loss(x, t), x=R(3, 4), t=torch.rand(3, 4) * 4)
case('gaussian_nll', lambda x, t, v: F.gaussian_nll_loss(x, t, v), x=R(3, 4), t=R(3, 4), v=torch.rand(3, 4) + 0.1)
case('cosine_similarity', lambda a, b: F.cosine_similarity(a, b, dim=1), a=R(4, 5), b=R(4, 5))
case('pairwise_distance', lambda a, b: F.pairwise_distance(a, b), a=R(4, 5), b=R(4, 5))

with open(os.path.join(HERE, 'reference.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases}, f)
print(len(cases), 'cases')
