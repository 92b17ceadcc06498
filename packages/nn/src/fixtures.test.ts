/**
 * Parity with real PyTorch for every fixture case nn owns: `op` cases of group
 * `nn.functional` / `loss`, and every `module` and `clip` case. Modules are built from
 * `config`, load the `param.*` state dict, run on `in.*`; outputs, the gradients of
 * Σ_k sum(out.k · w.k) and updated buffers are compared within the case's tolerance. A case
 * without a table entry fails, and missing fixtures fail loudly.
 */
import { fixturesAvailable, fixturesDir, listCases, loadCase, type FixtureCase, type FixtureTensor } from '@torchlet/fixtures';
import * as torch from '@torchlet/tensor';
import type { DType, Tensor } from '@torchlet/tensor';
import { describe, expect, test } from 'vitest';
import * as nn from './index.js';

const F = nn.functional;

type Inputs = Record<string, Tensor>;
type Outputs = Record<string, Tensor>;
const output = (t: Tensor): Outputs => ({ output: t });

/** PyTorch `config.call` → Torchlet, for `op` cases. */
const OPS: Record<string, { call: string; run: (i: Inputs) => Outputs }> = {
  gelu: { call: 'F.gelu(x)', run: ({ x }) => output(F.gelu(x!)) },
  softplus: { call: 'F.softplus(x)', run: ({ x }) => output(F.softplus(x!)) },
  leaky_relu: { call: 'F.leaky_relu(x, 0.1)', run: ({ x }) => output(F.leakyRelu(x!, 0.1)) },
  elu: { call: 'F.elu(x)', run: ({ x }) => output(F.elu(x!)) },
  softmax: { call: 'F.softmax(x, dim=-1)', run: ({ x }) => output(F.softmax(x!, -1)) },
  log_softmax: { call: 'F.log_softmax(x, dim=1)', run: ({ x }) => output(F.logSoftmax(x!, 1)) },
  one_hot: { call: 'F.one_hot(labels, 6)', run: ({ labels }) => output(F.oneHot(labels!, 6)) },
  dropout_eval: { call: 'F.dropout(x, 0.5, training=False)', run: ({ x }) => output(F.dropout(x!, 0.5, { training: false })) },
  cross_entropy: { call: 'F.cross_entropy(input, target)', run: ({ input, target }) => output(F.crossEntropy(input!, target!)) },
  cross_entropy_label_smoothing: {
    call: 'F.cross_entropy(input, target, label_smoothing=0.1)',
    run: ({ input, target }) => output(F.crossEntropy(input!, target!, { labelSmoothing: 0.1 })),
  },
  cross_entropy_weight_ignore: {
    call: 'F.cross_entropy(input, target, weight=weight, ignore_index=2)',
    run: ({ input, target, weight }) => output(F.crossEntropy(input!, target!, { weight, ignoreIndex: 2 })),
  },
  cross_entropy_probs: { call: 'F.cross_entropy(input, target)', run: ({ input, target }) => output(F.crossEntropy(input!, target!)) },
  nll_loss: {
    call: 'F.nll_loss(F.log_softmax(input, 1), target)',
    run: ({ input, target }) => {
      const lp = F.logSoftmax(input!, 1);
      return output(F.nllLoss(lp, target!));
    },
  },
  mse_loss: { call: 'F.mse_loss(input, target)', run: ({ input, target }) => output(F.mseLoss(input!, target!)) },
  l1_loss: { call: 'F.l1_loss(input, target)', run: ({ input, target }) => output(F.l1Loss(input!, target!)) },
  smooth_l1_loss: {
    call: 'F.smooth_l1_loss(input, target, beta=0.5)',
    run: ({ input, target }) => output(F.smoothL1Loss(input!, target!, { beta: 0.5 })),
  },
  huber_loss: {
    call: 'F.huber_loss(input, target, delta=0.7)',
    run: ({ input, target }) => output(F.huberLoss(input!, target!, { delta: 0.7 })),
  },
  bce_with_logits: {
    call: 'F.binary_cross_entropy_with_logits( input, target, pos_weight=torch.tensor([2.0, 0.5, 1.0]))',
    run: ({ input, target }) => output(F.binaryCrossEntropyWithLogits(input!, target!, { posWeight: torch.tensor([2.0, 0.5, 1.0]) })),
  },
  kl_div: {
    call: "F.kl_div(F.log_softmax(input, 1), target, reduction='batchmean')",
    run: ({ input, target }) => output(F.klDiv(F.logSoftmax(input!, 1), target!, { reduction: 'batchmean' })),
  },
};

interface ModuleEntry {
  build: (config: Record<string, any>) => nn.Module;
  run: (m: nn.Module, i: Inputs) => Outputs;
}

/** `config.module` → Torchlet module and call, for `module` cases. */
const MODULES: Record<string, ModuleEntry> = {
  linear: {
    build: (c) => new nn.Linear(c.in_features, c.out_features),
    run: (m, { input }) => output(m.call(input!)),
  },
  embedding: {
    build: (c) => new nn.Embedding(c.num_embeddings, c.embedding_dim, { paddingIdx: c.padding_idx }),
    run: (m, { input }) => output(m.call(input!)),
  },
  embedding_bag_mean: {
    build: (c) => new nn.EmbeddingBag(c.num_embeddings, c.embedding_dim, { mode: c.mode }),
    run: (m, { input, offsets }) => output(m.call(input!, offsets!)),
  },
  embedding_bag_sum: {
    build: (c) => new nn.EmbeddingBag(c.num_embeddings, c.embedding_dim, { mode: c.mode }),
    run: (m, { input, offsets }) => output(m.call(input!, offsets!)),
  },
  embedding_bag_max: {
    build: (c) => new nn.EmbeddingBag(c.num_embeddings, c.embedding_dim, { mode: c.mode }),
    run: (m, { input, offsets }) => output(m.call(input!, offsets!)),
  },
  embedding_bag_2d_padding: {
    build: (c) => new nn.EmbeddingBag(c.num_embeddings, c.embedding_dim, { mode: c.mode, paddingIdx: c.padding_idx }),
    run: (m, { input }) => output(m.call(input!)),
  },
  embedding_bag_per_sample_weights: {
    build: (c) => new nn.EmbeddingBag(c.num_embeddings, c.embedding_dim, { mode: c.mode }),
    run: (m, { input, offsets, per_sample_weights }) => output(m.call(input!, offsets!, per_sample_weights!)),
  },
  conv1d: {
    build: (c) => new nn.Conv1d(c.in_channels, c.out_channels, c.kernel_size, { padding: c.padding }),
    run: (m, { input }) => output(m.call(input!)),
  },
  conv2d: {
    build: (c) => new nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, { stride: c.stride, padding: c.padding }),
    run: (m, { input }) => output(m.call(input!)),
  },
  layer_norm: {
    build: (c) => new nn.LayerNorm(c.normalized_shape),
    run: (m, { input }) => output(m.call(input!)),
  },
  batch_norm1d_train: {
    build: (c) => {
      const m = new nn.BatchNorm1d(c.num_features);
      return c.training ? m.train() : m.eval();
    },
    run: (m, { input }) => {
      const out = m.call(input!) as Tensor;
      return { output: out, running_mean: torch.clone(m.getBuffer('running_mean')!), running_var: torch.clone(m.getBuffer('running_var')!) };
    },
  },
  max_pool2d: {
    build: (c) => new nn.MaxPool2d(c.kernel_size),
    run: (m, { input }) => output(m.call(input!)),
  },
};

const owned = (c: FixtureCase): boolean =>
  (c.kind === 'op' && (c.config.group === 'nn.functional' || c.config.group === 'loss')) || c.kind === 'module' || c.kind === 'clip';
const cases: FixtureCase[] = fixturesAvailable() ? listCases(owned) : [];

const FIXTURE_DTYPE: Record<FixtureTensor['dtype'], DType> = { F32: 'float32', F64: 'float64', I32: 'int32', I64: 'int32', BOOL: 'bool' };

/**
 * The fixture writer's `np.ascontiguousarray` stores 0-d tensors as shape [1]: `shape` (the
 * shape Torchlet expects) restores them.
 */
function load(t: FixtureTensor, shape: readonly number[] = t.shape): Tensor {
  const s = shape.length === 0 && t.shape.length === 1 && t.shape[0] === 1 ? [] : t.shape;
  return torch.tensor(t.data, { shape: s, dtype: FIXTURE_DTYPE[t.dtype] });
}

const sameShape = (actual: readonly number[], expected: readonly number[]): boolean =>
  actual.join(',') === expected.join(',') || (actual.length === 0 && expected.length === 1 && expected[0] === 1);

async function compare(name: string, actual: Tensor | null, expected: FixtureTensor, rtol: number, atol: number): Promise<string[]> {
  if (!actual) return [`${name}: missing (no gradient or output)`];
  if (!sameShape(actual.shape, expected.shape)) {
    return [`${name}: shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`];
  }
  if (actual.dtype !== FIXTURE_DTYPE[expected.dtype]) return [`${name}: dtype ${actual.dtype}, expected ${FIXTURE_DTYPE[expected.dtype]}`];
  const got = await actual.data();
  const bad: string[] = [];
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    const e = expected.data[i]!;
    const ok = Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) bad.push(`${name}[${i}]: ${a} vs PyTorch ${e}`);
  }
  return bad.length > 5 ? [...bad.slice(0, 5), `… ${bad.length - 5} more of ${got.length}`] : bad;
}

/** loss = Σ_k sum(out.k · w.k) over the outputs that have a weight. */
function weightedLoss(c: ReturnType<typeof loadCase>, outputs: Outputs): Tensor | null {
  let loss: Tensor | null = null;
  for (const [key, out] of Object.entries(outputs)) {
    const w = c.t[`w.${key}`];
    if (!w || (out.dtype !== 'float32' && out.dtype !== 'float64')) continue;
    const term = torch.tidy(() => torch.sum(torch.mul(out, load(w, out.shape))));
    if (loss) {
      const next = torch.add(loss, term);
      loss.dispose();
      term.dispose();
      loss = next;
    } else {
      loss = term;
    }
  }
  return loss;
}

async function checkOutputs(c: ReturnType<typeof loadCase>, outputs: Outputs): Promise<string[]> {
  const problems: string[] = [];
  for (const key of Object.keys(c.t).filter((k) => k.startsWith('out.'))) {
    problems.push(...(await compare(key, outputs[key.slice(4)] ?? null, c.t[key]!, c.rtol, c.atol)));
  }
  return problems;
}

describe('PyTorch fixtures owned by nn (nn.functional, loss, module, clip)', () => {
  test('the fixtures are present', () => {
    expect(fixturesAvailable(), `no fixtures in ${fixturesDir()}`).toBe(true);
    expect(cases.length).toBeGreaterThan(0);
  });

  test('every case has a table entry (ops with the same PyTorch call)', () => {
    const missing = cases
      .filter((c) => (c.kind === 'op' ? !(c.name in OPS) : c.kind === 'module' ? !(c.name in MODULES) : c.name !== 'clip_grad_norm'))
      .map((c) => `${c.kind} ${c.name}: ${JSON.stringify(c.config)}`);
    expect(missing, 'cases without a Torchlet entry').toEqual([]);
    const changed = cases.filter((c) => c.kind === 'op' && OPS[c.name] && OPS[c.name]!.call !== c.config.call).map((c) => `${c.name}: ${c.config.call}`);
    expect(changed, 'op cases whose PyTorch call differs from the table (update the entry)').toEqual([]);
  });

  test.each(cases.filter((c) => c.kind === 'op').map((c) => [c.name, c.config.call as string]))('op %s: %s', async (name) => {
    const entry = OPS[name];
    if (!entry) throw new Error(`no table entry for fixture case '${name}'`);
    const c = loadCase(name);
    const before = torch.memoryStats();
    const inputs: Inputs = {};
    for (const [key, t] of Object.entries(c.t)) {
      if (!key.startsWith('in.')) continue;
      const x = load(t);
      if (`grad.${key}` in c.t) x.requiresGrad = true;
      inputs[key.slice(3)] = x;
    }
    try {
      const outputs = torch.tidy(() => entry.run(inputs));
      const problems = await checkOutputs(c, outputs);
      const loss = weightedLoss(c, outputs);
      const gradKeys = Object.keys(c.t).filter((k) => k.startsWith('grad.in.'));
      if (gradKeys.length > 0) {
        expect(loss, 'no loss to differentiate').not.toBeNull();
        loss!.backward();
        for (const k of gradKeys) problems.push(...(await compare(k, inputs[k.slice(8)]!.grad, c.t[k]!, c.rtol, c.atol)));
      }
      expect(problems, `${name} (${c.config.call}) differs from PyTorch (rtol ${c.rtol}, atol ${c.atol})`).toEqual([]);
      loss?.dispose();
      for (const t of Object.values(outputs)) t.dispose();
    } finally {
      for (const t of Object.values(inputs)) t.dispose();
    }
    const after = torch.memoryStats();
    expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
    expect(after.liveTensors, 'tensors leaked').toBe(before.liveTensors);
  });

  test.each(cases.filter((c) => c.kind === 'module').map((c) => [c.name, c.config.module as string]))('module %s (%s)', async (name) => {
    const entry = MODULES[name];
    if (!entry) throw new Error(`no table entry for fixture case '${name}'`);
    const c = loadCase(name);
    const before = torch.memoryStats();
    const model = entry.build(c.config);
    const sd: Record<string, Tensor> = {};
    const own = model.stateDict();
    for (const [key, t] of Object.entries(c.t)) if (key.startsWith('param.')) sd[key.slice(6)] = load(t, own[key.slice(6)]?.shape);
    const inputs: Inputs = {};
    for (const [key, t] of Object.entries(c.t)) {
      if (!key.startsWith('in.')) continue;
      const x = load(t);
      if (`grad.${key}` in c.t) x.requiresGrad = true;
      inputs[key.slice(3)] = x;
    }
    try {
      expect(Object.keys(model.stateDict()).sort()).toEqual(Object.keys(sd).sort());
      model.loadStateDict(sd);
      const outputs = torch.tidy(() => entry.run(model, inputs));
      const problems = await checkOutputs(c, outputs);
      const loss = weightedLoss(c, outputs);
      if (loss) loss.backward();
      for (const k of Object.keys(c.t)) {
        if (k.startsWith('grad.in.')) problems.push(...(await compare(k, inputs[k.slice(8)]!.grad, c.t[k]!, c.rtol, c.atol)));
        if (k.startsWith('grad.param.')) problems.push(...(await compare(k, model.getParameter(k.slice(11)).grad, c.t[k]!, c.rtol, c.atol)));
      }
      expect(problems, `${name} differs from PyTorch (rtol ${c.rtol}, atol ${c.atol})`).toEqual([]);
      loss?.dispose();
      for (const t of Object.values(outputs)) t.dispose();
    } finally {
      for (const t of Object.values(inputs)) t.dispose();
      for (const t of Object.values(sd)) t.dispose();
      model.dispose();
    }
    const after = torch.memoryStats();
    expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
    expect(after.liveTensors, 'tensors leaked').toBe(before.liveTensors);
  });

  test.each(cases.filter((c) => c.kind === 'clip').map((c) => [c.name]))('clip %s', async (name) => {
    const c = loadCase(name);
    expect(name).toBe('clip_grad_norm');
    const before = torch.memoryStats();
    const params: Tensor[] = [];
    const byName: Record<string, Tensor> = {};
    for (const key of ['grad_a', 'grad_b']) {
      const g = load(c.t[`in.${key}`]!);
      const p = new nn.Parameter(torch.zerosLike(g));
      p.grad = g;
      params.push(p);
      byName[key] = p;
    }
    const total = nn.utils.clipGradNorm_(params, c.config.max_norm, { normType: c.config.norm_type });
    const problems = [
      ...(await compare('out.total_norm', total, c.t['out.total_norm']!, c.rtol, c.atol)),
      ...(await compare('out.grad_a', byName.grad_a!.grad, c.t['out.grad_a']!, c.rtol, c.atol)),
      ...(await compare('out.grad_b', byName.grad_b!.grad, c.t['out.grad_b']!, c.rtol, c.atol)),
    ];
    expect(problems).toEqual([]);
    total.dispose();
    for (const p of params) p.dispose();
    const after = torch.memoryStats();
    expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
    expect(after.liveTensors, 'tensors leaked').toBe(before.liveTensors);
  });
});
