import { gradcheck } from '@torchlet/autograd';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import * as nn from '../index.js';

const F = nn.functional;

let before: ReturnType<typeof torch.memoryStats>;
beforeEach(() => {
  before = torch.memoryStats();
});
afterEach(() => {
  const after = torch.memoryStats();
  expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
  expect(after.liveTensors, 'tensors leaked').toBe(before.liveTensors);
});

/** Runs `fn` with the given tensors and disposes them afterwards. */
function using<T>(tensors: Tensor[], fn: () => T): T {
  try {
    return fn();
  } finally {
    for (const t of tensors) t.dispose();
  }
}

describe('initialisation as PyTorch', () => {
  test('Linear and Conv weights lie within kaiming_uniform_(a=√5) bounds, biases within 1/√fan_in', () => {
    torch.manualSeed(0);
    const lin = new nn.Linear(64, 32);
    const w = Array.from(lin.weight.dataSync());
    const bound = 1 / Math.sqrt(64);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(Math.max(...Array.from(lin.bias!.dataSync()).map(Math.abs))).toBeLessThanOrEqual(bound);
    const conv = new nn.Conv2d(3, 8, 3);
    const cb = 1 / Math.sqrt(3 * 9);
    expect(Math.max(...Array.from(conv.weight.dataSync()).map(Math.abs))).toBeLessThanOrEqual(cb);
    lin.dispose();
    conv.dispose();
  });

  test('Embedding draws N(0, 1) and zeroes the padding row', () => {
    torch.manualSeed(1);
    const emb = new nn.Embedding(500, 20, { paddingIdx: -1 });
    expect(emb.paddingIdx).toBe(499);
    const w = Array.from(emb.weight.dataSync());
    const body = w.slice(0, 499 * 20);
    const mean = body.reduce((a, b) => a + b, 0) / body.length;
    const std = Math.sqrt(body.reduce((a, b) => a + (b - mean) ** 2, 0) / body.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
    expect(w.slice(499 * 20)).toEqual(new Array(20).fill(0));
    emb.dispose();
  });

  test('init functions: gains, fans, xavier/kaiming spreads, orthogonal, trunc_normal, eye, dirac', () => {
    expect(nn.init.calculateGain('relu')).toBeCloseTo(Math.SQRT2);
    expect(nn.init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3));
    expect(nn.init.calculateGain('tanh')).toBeCloseTo(5 / 3);
    expect(() => nn.init.calculateGain('swish' as never)).toThrow(/Unsupported nonlinearity/);
    const t = torch.empty([200, 300]);
    expect(nn.init.calculateFanInAndFanOut(t)).toEqual([300, 200]);
    const sd = (x: Tensor): number => {
      const d = Array.from(x.dataSync());
      const m = d.reduce((a, b) => a + b, 0) / d.length;
      return Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / d.length);
    };
    nn.init.xavierNormal_(t);
    expect(sd(t)).toBeCloseTo(Math.sqrt(2 / 500), 2);
    nn.init.kaimingNormal_(t, { mode: 'fan_out', nonlinearity: 'relu' });
    expect(sd(t)).toBeCloseTo(Math.sqrt(2 / 200), 2);
    nn.init.xavierUniform_(t, 2);
    expect(Math.max(...Array.from(t.dataSync()).map(Math.abs))).toBeLessThanOrEqual(2 * Math.sqrt(6 / 500));
    nn.init.truncNormal_(t, 0.5, 2, -1, 1);
    const tn = Array.from(t.dataSync());
    expect(Math.min(...tn)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...tn)).toBeLessThanOrEqual(1);
    const p = new nn.Parameter(torch.empty([3, 3]));
    const v0 = p.version;
    nn.init.eye_(p);
    expect(p.version).toBeGreaterThan(v0);
    expect(Array.from(p.dataSync())).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const c = torch.empty([2, 2, 3]);
    nn.init.dirac_(c);
    expect(Array.from(c.dataSync())).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(() => torch.tidy(() => nn.init.kaimingUniform_(torch.empty([3])))).toThrow(/fewer than 2 dimensions/);
    expect(() => nn.init.kaimingUniform_(p, { mode: 'fan_avg' as never })).toThrow(/Mode fan_avg not supported/);
    for (const x of [t, p, c]) x.dispose();
  });

  test('orthogonal_ gives orthonormal rows or columns, for tall and wide shapes', () => {
    for (const shape of [[6, 4], [4, 6], [5, 2, 3]]) {
      const w = new nn.Parameter(torch.empty(shape));
      nn.init.orthogonal_(w, 2);
      const d = w.detach();
      const m = torch.reshape(d, [shape[0]!, -1]);
      const [r, c] = m.shape as [number, number];
      const gram = torch.tidy(() => (r >= c ? torch.matmul(torch.t(m), m) : torch.matmul(m, torch.t(m))));
      const n = Math.min(r, c);
      const g = Array.from(gram.dataSync());
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(g[i * n + j]!).toBeCloseTo(i === j ? 4 : 0, 4);
      for (const x of [w, d, m, gram]) x.dispose();
    }
  });
});

describe('layers forward and modes', () => {
  test('Dropout uses the seeded generator in training and is the identity in eval', () => {
    const d = new nn.Dropout(0.5);
    const x = torch.ones([1000]);
    torch.manualSeed(7);
    const a = d.call(x);
    torch.manualSeed(7);
    const b = d.call(x);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const vals = new Set(Array.from(a.dataSync()));
    expect([...vals].sort()).toEqual([0, 2]);
    const kept = Array.from(a.dataSync()).filter((v) => v === 2).length;
    expect(kept).toBeGreaterThan(420);
    expect(kept).toBeLessThan(580);
    d.eval();
    const c = d.call(x);
    expect(c).not.toBe(x);
    expect(Array.from(c.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(() => new nn.Dropout(1.5)).toThrow('dropout probability has to be between 0 and 1, but got 1.5');
    const d2 = new nn.Dropout2d(0.5);
    const ones = torch.ones([2, 8, 3, 3]);
    const y = d2.call(ones);
    const yd = Array.from(y.dataSync());
    for (let ch = 0; ch < 16; ch++) expect(new Set(yd.slice(ch * 9, ch * 9 + 9)).size).toBe(1);
    for (const t of [a, b, c, x, y, ones]) t.dispose();
  });

  test('BatchNorm: running stats, momentum null (cumulative average), eval mode, no tracking', () => {
    const x1 = torch.tensor([[1, 2], [3, 6]]);
    const x2 = torch.tensor([[5, 0], [7, 2]]);
    const bn = new nn.BatchNorm1d(2, { momentum: null, affine: false });
    bn.call(x1).dispose();
    bn.call(x2).dispose();
    // cumulative average of the batch means [2, 4] and [6, 1], unbiased variances [2, 8] and [2, 2]
    expect(Array.from(bn.getBuffer('running_mean')!.dataSync())).toEqual([4, 2.5]);
    expect(Array.from(bn.getBuffer('running_var')!.dataSync())).toEqual([2, 5]);
    expect(bn.getBuffer('num_batches_tracked')!.item()).toBe(2);
    bn.eval();
    const y = bn.call(x1);
    const e = Array.from(y.dataSync());
    expect(e[0]).toBeCloseTo((1 - 4) / Math.sqrt(2 + 1e-5), 5);
    const plain = new nn.BatchNorm1d(2, { trackRunningStats: false });
    expect(Object.keys(plain.stateDict())).toEqual(['weight', 'bias']);
    plain.eval();
    const z = plain.call(x1);
    expect(Array.from(z.dataSync())[0]).toBeCloseTo(-1, 3);
    expect(() => torch.tidy(() => bn.train().call(torch.ones([1, 2])))).toThrow('Expected more than 1 value per channel when training, got input size [1, 2]');
    for (const t of [x1, x2, y, z]) t.dispose();
    bn.dispose();
    plain.dispose();
  });

  test('Embedding.fromPretrained copies and freezes; EmbeddingBag.fromPretrained too', () => {
    const w = torch.tensor([[1, 2], [3, 4], [5, 6]]);
    const emb = nn.Embedding.fromPretrained(w);
    expect(emb.weight.requiresGrad).toBe(false);
    expect(emb.weight).not.toBe(w);
    const idx = torch.tensor([2, 0], { dtype: 'int32' });
    const out = emb.call(idx);
    expect(Array.from(out.dataSync())).toEqual([5, 6, 1, 2]);
    const bag = nn.EmbeddingBag.fromPretrained(w, { mode: 'sum', freeze: false });
    expect(bag.weight.requiresGrad).toBe(true);
    const bi = torch.tensor([[0, 1], [2, 2]], { dtype: 'int32' });
    const bo = bag.call(bi);
    expect(Array.from(bo.dataSync())).toEqual([4, 6, 10, 12]);
    for (const t of [w, idx, out, bo, bi]) t.dispose();
    emb.dispose();
    bag.dispose();
  });

  test('Flatten, Unflatten, Identity, Bilinear, activations modules', () => {
    const x = torch.randn([2, 3, 4]);
    const f = new nn.Flatten().call(x);
    expect(f.shape).toEqual([2, 12]);
    const u = new nn.Unflatten(1, [3, 4]).call(f);
    expect(u.shape).toEqual([2, 3, 4]);
    const id = new nn.Identity().call(x);
    expect(id).not.toBe(x);
    const bil = new nn.Bilinear(4, 4, 5);
    const b = bil.call(x, x);
    expect(b.shape).toEqual([2, 3, 5]);
    const acts: nn.Module[] = [new nn.ReLU(), new nn.GELU(), new nn.SiLU(), new nn.Tanh(), new nn.Sigmoid(), new nn.LeakyReLU(), new nn.ELU(), new nn.Softmax(1), new nn.LogSoftmax(), new nn.Softplus(), new nn.PReLU()];
    for (const a of acts) {
      const y = a.call(x) as Tensor;
      expect(y.shape).toEqual([2, 3, 4]);
      y.dispose();
      a.dispose();
    }
    for (const t of [x, f, u, id, b]) t.dispose();
    bil.dispose();
  });

  test('pooling and conv layers produce PyTorch output shapes', () => {
    const x = torch.randn([2, 3, 9, 8]);
    const cases: [nn.Module, number[]][] = [
      [new nn.Conv2d(3, 4, 3), [2, 4, 7, 6]],
      [new nn.Conv2d(3, 6, [3, 2], { stride: 2, padding: 1, groups: 3, bias: false }), [2, 6, 5, 5]],
      [new nn.Conv2d(3, 4, 4, { padding: 'same', paddingMode: 'replicate' }), [2, 4, 9, 8]],
      [new nn.MaxPool2d(2), [2, 3, 4, 4]],
      [new nn.MaxPool2d(3, { stride: 2, ceilMode: true }), [2, 3, 4, 4]],
      [new nn.AvgPool2d(2, { stride: 1 }), [2, 3, 8, 7]],
      [new nn.AdaptiveAvgPool2d([1, null]), [2, 3, 1, 8]],
      [new nn.AdaptiveMaxPool2d(2), [2, 3, 2, 2]],
      [new nn.GroupNorm(3, 3), [2, 3, 9, 8]],
      [new nn.BatchNorm2d(3), [2, 3, 9, 8]],
      [new nn.InstanceNorm2d(3), [2, 3, 9, 8]],
      [new nn.LayerNorm([9, 8]), [2, 3, 9, 8]],
    ];
    for (const [m, shape] of cases) {
      const y = m.call(x) as Tensor;
      expect(y.shape, m.toString()).toEqual(shape);
      y.dispose();
      m.dispose();
    }
    const pool = new nn.MaxPool1d(2, { returnIndices: true });
    const x1 = torch.tensor([[[1, 3, 2, 0, 5, 4]]]);
    const [v, i] = pool.call(x1) as [Tensor, Tensor];
    expect(Array.from(v.dataSync())).toEqual([3, 2, 5]);
    expect(Array.from(i.dataSync())).toEqual([1, 2, 4]);
    for (const t of [x, x1, v, i]) t.dispose();
  });

  test('loss modules hold weights as buffers under PyTorch keys', () => {
    const w = torch.tensor([1, 2, 3]);
    const ce = new nn.CrossEntropyLoss({ weight: w, labelSmoothing: 0.1 });
    expect(Object.keys(ce.stateDict())).toEqual(['weight']);
    const bce = new nn.BCEWithLogitsLoss({ posWeight: torch.tensor([2]) });
    expect(Object.keys(bce.stateDict())).toEqual(['pos_weight']);
    const x = torch.randn([4, 3]);
    const t = torch.tensor([0, 1, 2, 1], { dtype: 'int32' });
    const l1 = ce.call(x, t);
    const l2 = F.crossEntropy(x, t, { weight: w, labelSmoothing: 0.1 });
    expect(l1.item()).toBeCloseTo(l2.item(), 6);
    const mods: [nn.Module, Tensor[]][] = [
      [new nn.MSELoss(), [x, x]],
      [new nn.L1Loss({ reduction: 'sum' }), [x, x]],
      [new nn.SmoothL1Loss({ beta: 0.5 }), [x, x]],
      [new nn.HuberLoss({ delta: 2 }), [x, x]],
      [new nn.NLLLoss(), [x, t]],
      [new nn.KLDivLoss({ reduction: 'batchmean' }), [x, x]],
    ];
    for (const [m, args] of mods) {
      const y = m.call(...args) as Tensor;
      expect(y.shape).toEqual([]);
      y.dispose();
      m.dispose();
    }
    for (const z of [x, t, l1, l2]) z.dispose();
    ce.dispose();
    bce.dispose();
  });
});

describe('gradcheck in float64 for the composite layers', () => {
  const opts = { dtype: 'float64' as const, requiresGrad: true };
  const check = (fn: (...xs: Tensor[]) => Tensor, ...shapes: number[][]): void => {
    torch.manualSeed(3);
    const inputs = shapes.map((s) => torch.randn(s, opts));
    using(inputs, () => expect(gradcheck((...xs: Tensor[]) => torch.tidy(() => fn(...xs)), inputs)).toBe(true));
  };

  test('conv1d / conv2d with stride, padding, dilation and groups', () => {
    check((x, w, b) => F.conv2d(x, w, b, { stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2 }), [1, 4, 5, 5], [2, 2, 3, 2], [2]);
    check((x, w) => F.conv1d(x, w, null, { padding: 'same' }), [2, 2, 6], [3, 2, 4]);
  });

  test('max, average and adaptive pooling', () => {
    check((x) => F.maxPool2d(x, 2, { stride: 1, padding: 1 }), [1, 2, 4, 4]);
    check((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [1, 2, 5, 4]);
    check((x) => F.adaptiveAvgPool2d(x, [2, 3]), [1, 2, 5, 4]);
    check((x) => F.adaptiveMaxPool1d(x, 2), [1, 2, 5]);
  });

  test('layer, group and batch norm', () => {
    check((x, w, b) => F.layerNorm(x, [3], w, b), [2, 4, 3], [3], [3]);
    check((x, w, b) => F.groupNorm(x, 2, w, b), [2, 4, 3], [4], [4]);
    check((x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }), [5, 3], [3], [3]);
  });

  test('losses', () => {
    const t = torch.tensor([0, 2, 1], { dtype: 'int32' });
    const cw = torch.tensor([0.5, 1, 2], { dtype: 'float64' });
    using([t, cw], () => check((x) => F.crossEntropy(x, t, { weight: cw, labelSmoothing: 0.2, ignoreIndex: 1 }), [3, 3]));
    check((x, y) => F.binaryCrossEntropyWithLogits(x, y), [3, 2], [3, 2]);
    check((x, y) => F.huberLoss(x, y, { delta: 0.5 }), [3, 2], [3, 2]);
  });

  test('embedding bag (sum with per-sample weights, mean)', () => {
    const idx = torch.tensor([1, 2, 0, 2], { dtype: 'int32' });
    const off = torch.tensor([0, 1], { dtype: 'int32' });
    using([idx, off], () => {
      check((w, p) => F.embeddingBag(idx, w, { offsets: off, mode: 'sum', perSampleWeights: p }), [3, 2], [4]);
      check((w) => F.embeddingBag(idx, w, { offsets: off, mode: 'mean', paddingIdx: 0 }), [3, 2]);
    });
  });
});

describe('bad inputs are refused with the shapes named', () => {
  const cases: [string, () => unknown, RegExp | string][] = [
    ['linear: wrong in_features', () => new nn.Linear(4, 2).call(torch.ones([3, 5])), /^linear: mat1 and mat2 shapes cannot be multiplied \(3x5 and 4x2\)/],
    ['conv2d: channels', () => F.conv2d(torch.ones([1, 4, 5, 5]), torch.ones([2, 3, 3, 3])), 'Given groups=1, weight of size [2, 3, 3, 3], expected input[1, 4, 5, 5] to have 3 channels, but got 4 channels instead'],
    ['conv2d: rank', () => F.conv2d(torch.ones([4, 5]), torch.ones([2, 3, 3, 3])), 'Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [4, 5]'],
    ['conv2d: kernel too large', () => F.conv2d(torch.ones([1, 3, 2, 2]), torch.ones([2, 3, 3, 3])), "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't be greater than actual input size"],
    ['conv: groups', () => new nn.Conv2d(3, 4, 3, { groups: 2 }), 'in_channels must be divisible by groups'],
    ['conv: same + stride', () => new nn.Conv1d(3, 4, 3, { padding: 'same', stride: 2 }), "padding='same' is not supported for strided convolutions"],
    ['conv: padding mode', () => new nn.Conv1d(3, 4, 3, { paddingMode: 'mirror' as never }), /padding_mode must be one of/],
    ['conv: padding string', () => new nn.Conv1d(3, 4, 3, { padding: 'full' as never }), /Invalid padding string 'full'/],
    ['max_pool: pad too big', () => F.maxPool2d(torch.ones([1, 1, 4, 4]), 2, { padding: 2 }), /pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1/],
    ['max_pool: output too small', () => F.maxPool2d(torch.ones([1, 1, 1, 1]), 2), 'Given input size: (1x1x1). Calculated output size: (1x0x0). Output size is too small'],
    ['avg_pool: rank', () => F.avgPool1d(torch.ones([4]), 2), 'Expected 2D (unbatched) or 3D (batched) input to avg_pool1d, but got input of size: [4]'],
    ['layer_norm: shape', () => F.layerNorm(torch.ones([2, 5]), [8]), 'Given normalized_shape=[8], expected input with shape [*, 8], but got input of size[2, 5]'],
    ['group_norm: groups', () => F.groupNorm(torch.ones([2, 5, 4]), 2), 'Expected number of channels in input to be divisible by num_groups, but got input of shape [2, 5, 4] and num_groups=2'],
    ['batch_norm1d: rank', () => new nn.BatchNorm1d(3).call(torch.ones([2, 3, 4, 5])), 'expected 2D or 3D input (got 4D input)'],
    ['batch_norm2d: rank', () => new nn.BatchNorm2d(3).call(torch.ones([2, 3])), 'expected 4D input (got 2D input)'],
    ['embedding: float indices', () => new nn.Embedding(5, 2).call(torch.ones([3])), /Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int/],
    ['embedding: out of range', () => new nn.Embedding(5, 2).call(torch.tensor([1, 5], { dtype: 'int32' })), 'embedding: index 5 is out of range for 5 embeddings (index out of range in self)'],
    ['embedding: padding_idx', () => new nn.Embedding(5, 2, { paddingIdx: 5 }), 'Padding_idx must be within num_embeddings'],
    ['embedding_bag: 1-D without offsets', () => new nn.EmbeddingBag(5, 2).call(torch.tensor([1, 2], { dtype: 'int32' })), 'offsets has to be a 1D Tensor but got None'],
    ['embedding_bag: 2-D with offsets', () => new nn.EmbeddingBag(5, 2).call(torch.tensor([[1, 2]], { dtype: 'int32' }), torch.tensor([0], { dtype: 'int32' })), /if input is 2D, then offsets has to be None/],
    ['embedding_bag: offsets[0]', () => new nn.EmbeddingBag(5, 2).call(torch.tensor([1, 2], { dtype: 'int32' }), torch.tensor([1], { dtype: 'int32' })), /offsets\[0\] has to be 0/],
    ['embedding_bag: offsets beyond input', () => new nn.EmbeddingBag(5, 2).call(torch.tensor([1, 2], { dtype: 'int32' }), torch.tensor([0, 3], { dtype: 'int32' })), "offsets[-1] can not be greater than input's length (2), but got offsets[-1] of 3"],
    ['embedding_bag: per-sample weights with mean', () => new nn.EmbeddingBag(5, 2).call(torch.tensor([[1, 2]], { dtype: 'int32' }), null, torch.ones([1, 2])), /per_sample_weights is only supported for mode='sum' \(got mode='mean'\)/],
    ['embedding_bag: per-sample weights shape', () => new nn.EmbeddingBag(5, 2, { mode: 'sum' }).call(torch.tensor([[1, 2]], { dtype: 'int32' }), null, torch.ones([2])), 'embedding_bag: If per_sample_weights ([2]) is not None, then it must have the same shape as the input ([1, 2])'],
    ['embedding_bag: mode', () => new nn.EmbeddingBag(5, 2, { mode: 'median' as never }), /mode has to be one of sum, mean or max/],
    ['cross_entropy: batch', () => F.crossEntropy(torch.ones([3, 4]), torch.zeros([4], { dtype: 'int32' })), 'Expected input batch_size (3) to match target batch_size (4).'],
    ['cross_entropy: target out of range', () => F.crossEntropy(torch.ones([2, 4]), torch.tensor([1, 7], { dtype: 'int32' })), 'Target 7 is out of bounds.'],
    ['cross_entropy: weight', () => F.crossEntropy(torch.ones([2, 4]), torch.tensor([1, 2], { dtype: 'int32' }), { weight: torch.ones([3]) }), 'cross_entropy: weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]'],
    ['cross_entropy: smoothing', () => F.crossEntropy(torch.ones([2, 4]), torch.tensor([1, 2], { dtype: 'int32' }), { labelSmoothing: 1.5 }), 'label_smoothing must be between 0.0 and 1.0. Got: 1.5'],
    ['cross_entropy: probs shape', () => F.crossEntropy(torch.ones([2, 4]), torch.ones([2, 3])), /Expected input and target \(class probabilities\) to have the same shape, but got input \[2, 4\] and target \[2, 3\]/],
    ['loss: reduction', () => F.mseLoss(torch.ones([2]), torch.ones([2]), { reduction: 'avg' as never }), 'mse_loss: avg is not a valid value for reduction'],
    ['bce: range', () => F.binaryCrossEntropy(torch.tensor([0.5, 1.5]), torch.ones([2])), 'binary_cross_entropy: all elements of input should be between 0 and 1'],
    ['bce: shape', () => F.binaryCrossEntropy(torch.ones([3, 1]), torch.ones([3])), /target size \(\[3\]\) that is different to the input size \(\[3, 1\]\)/],
    ['bce with logits: shape', () => F.binaryCrossEntropyWithLogits(torch.ones([3, 1]), torch.ones([3])), 'Target size ([3]) must be the same as input size ([3, 1])'],
    ['smooth_l1: beta', () => F.smoothL1Loss(torch.ones([2]), torch.ones([2]), { beta: -1 }), 'smooth_l1_loss does not support negative values for beta.'],
    ['cosine embedding: target', () => F.cosineEmbeddingLoss(torch.ones([3, 2]), torch.ones([3, 2]), torch.ones([2])), /1D target tensor expects 2D input tensors/],
    ['glu: odd', () => F.glu(torch.ones([2, 3])), 'Halving dimension must be even, but dimension 1 is size 3'],
    ['dropout: p', () => F.dropout(torch.ones([2]), -0.1), 'dropout probability has to be between 0 and 1, but got -0.1'],
    ['clip: non-finite', () => {
      const p = new nn.Parameter(torch.zeros([2]));
      p.grad = torch.tensor([Infinity, 1]);
      try {
        return nn.utils.clipGradNorm_([p], 1, { errorIfNonfinite: true });
      } finally {
        p.dispose();
      }
    }, /The total norm of order 2.0 for gradients from `parameters` is non-finite/],
    ['vector_to_parameters: length', () => nn.utils.vectorToParameters(torch.ones([3]), [torch.zeros([2, 2])]), 'vector_to_parameters: the vector has 3 elements but the parameters have 4'],
  ];
  test.each(cases)('%s', (_name, fn, message) => {
    // The inputs made inside are temporaries of this check: free them with a tidy scope.
    let thrown: unknown = null;
    torch.tidy(() => {
      try {
        fn();
      } catch (e) {
        thrown = e;
      }
    });
    expect(thrown, 'no error thrown').toBeInstanceOf(Error);
    if (typeof message === 'string') expect((thrown as Error).message).toBe(message);
    else expect((thrown as Error).message).toMatch(message);
  });
});
