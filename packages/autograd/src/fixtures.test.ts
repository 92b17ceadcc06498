/**
 * Gradient parity with real PyTorch for every fixture case of the tensor core
 * (`config.group === 'tensor'`): inputs `in.*` require grad, the loss is
 * Σ_k sum(out.k · w.k) over the float outputs with a weight, and every `grad.in.*` is
 * compared with the case's tolerance. A case without a TABLE entry fails.
 */
import { fixturesAvailable, fixturesDir, listCases, loadCase, type FixtureCase, type FixtureTensor } from '@torchlet/fixtures';
import * as torch from '@torchlet/tensor';
import type { DType, Tensor } from '@torchlet/tensor';
import { describe, expect, test } from 'vitest';
import './index.js';

type Inputs = Record<string, Tensor>;
type Outputs = Record<string, Tensor>;

const output = (t: Tensor): Outputs => ({ output: t });

/** PyTorch `config.call` → Torchlet, by case name. */
const TABLE: Record<string, { call: string; run: (i: Inputs) => Outputs }> = {
  add_broadcast: { call: 'a + b', run: ({ a, b }) => output(torch.add(a!, b!)) },
  mul_broadcast: { call: 'a * b', run: ({ a, b }) => output(torch.mul(a!, b!)) },
  div: { call: 'a / b', run: ({ a, b }) => output(torch.div(a!, b!)) },
  pow: { call: 'a ** b', run: ({ a, b }) => output(torch.pow(a!, b!)) },
  exp: { call: 'torch.exp(x)', run: ({ x }) => output(torch.exp(x!)) },
  tanh: { call: 'torch.tanh(x)', run: ({ x }) => output(torch.tanh(x!)) },
  sigmoid: { call: 'torch.sigmoid(x)', run: ({ x }) => output(torch.sigmoid(x!)) },
  relu: { call: 'torch.relu(x)', run: ({ x }) => output(torch.relu(x!)) },
  abs: { call: 'torch.abs(x)', run: ({ x }) => output(torch.abs(x!)) },
  sin: { call: 'torch.sin(x)', run: ({ x }) => output(torch.sin(x!)) },
  cos: { call: 'torch.cos(x)', run: ({ x }) => output(torch.cos(x!)) },
  neg: { call: 'torch.neg(x)', run: ({ x }) => output(torch.neg(x!)) },
  log: { call: 'torch.log(x)', run: ({ x }) => output(torch.log(x!)) },
  sqrt: { call: 'torch.sqrt(x)', run: ({ x }) => output(torch.sqrt(x!)) },
  clamp: { call: 'x.clamp(-0.5, 0.7)', run: ({ x }) => output(torch.clamp(x!, -0.5, 0.7)) },
  sum_dim: { call: 'x.sum(dim=1)', run: ({ x }) => output(torch.sum(x!, 1)) },
  sum_keepdim: { call: 'x.sum(dim=(0, 2), keepdim=True)', run: ({ x }) => output(torch.sum(x!, [0, 2], { keepdim: true })) },
  mean: { call: 'x.mean(dim=-1)', run: ({ x }) => output(torch.mean(x!, -1)) },
  var_unbiased: { call: 'x.var(dim=1)', run: ({ x }) => output(torch.variance(x!, 1)) },
  max_dim: {
    call: "dict(zip(('values', 'indices'), x.max(dim=1)))",
    run: ({ x }) => {
      const { values, indices } = torch.max(x!, 1);
      return { values, indices };
    },
  },
  argmax: { call: 'x.argmax(dim=-1)', run: ({ x }) => output(torch.argmax(x!, -1)) },
  logsumexp: { call: 'torch.logsumexp(x, dim=1)', run: ({ x }) => output(torch.logsumexp(x!, 1)) },
  matmul_2d: { call: 'torch.matmul(input, other)', run: ({ input, other }) => output(torch.matmul(input!, other!)) },
  matmul_batched_broadcast: { call: 'torch.matmul(input, other)', run: ({ input, other }) => output(torch.matmul(input!, other!)) },
  matmul_vec: { call: 'torch.matmul(input, other)', run: ({ input, other }) => output(torch.matmul(input!, other!)) },
  bmm: { call: 'torch.bmm(input, mat2)', run: ({ input, mat2 }) => output(torch.bmm(input!, mat2!)) },
  transpose_contiguous: {
    call: 'x.transpose(0, 2).contiguous() * 2',
    run: ({ x }) => output(torch.mul(torch.contiguous(torch.transpose(x!, 0, 2)), 2)),
  },
  permute: { call: 'x.permute(2, 0, 1) * 1.5', run: ({ x }) => output(torch.mul(torch.permute(x!, 2, 0, 1), 1.5)) },
  expand: { call: 'x.expand(3, 4, 5) * 1.0', run: ({ x }) => output(torch.mul(torch.expand(x!, 3, 4, 5), 1.0)) },
  slice_step: {
    call: 'x[1:, ::2] * 1.0',
    run: ({ x }) => output(torch.mul(torch.slice(torch.slice(x!, 0, 1, null, null), 1, null, null, 2), 1.0)),
  },
  cat: { call: 'torch.cat([a, b], dim=1)', run: ({ a, b }) => output(torch.cat([a!, b!], 1)) },
  stack: { call: 'torch.stack([a, b], dim=0)', run: ({ a, b }) => output(torch.stack([a!, b!], 0)) },
  where: { call: 'torch.where(x > 0, x, y)', run: ({ x, y }) => output(torch.where(torch.gt(x!, 0), x!, y!)) },
  gather: { call: 'torch.gather(x, 1, index)', run: ({ x, index }) => output(torch.gather(x!, 1, index!)) },
  index_select: { call: 'torch.index_select(x, 0, index)', run: ({ x, index }) => output(torch.indexSelect(x!, 0, index!)) },
  cdist: { call: 'torch.cdist(x1, x2)', run: ({ x1, x2 }) => output(torch.cdist(x1!, x2!)) },
  cumsum: { call: 'torch.cumsum(x, dim=1)', run: ({ x }) => output(torch.cumsum(x!, 1)) },
  norm: { call: 'torch.linalg.vector_norm(x, dim=1)', run: ({ x }) => output(torch.vectorNorm(x!, { dim: 1 })) },
};

const isTensorCase = (c: FixtureCase): boolean => c.kind === 'op' && c.config.group === 'tensor';
const cases: FixtureCase[] = fixturesAvailable() ? listCases(isTensorCase) : [];

const FIXTURE_DTYPE: Record<FixtureTensor['dtype'], DType> = { F32: 'float32', F64: 'float64', I32: 'int32', I64: 'int32', BOOL: 'bool' };

function load(t: FixtureTensor): Tensor {
  return torch.tensor(t.data, { shape: t.shape, dtype: FIXTURE_DTYPE[t.dtype] });
}

async function compare(name: string, actual: Tensor | null, expected: FixtureTensor, rtol: number, atol: number): Promise<string[]> {
  if (!actual) return [`${name}: no gradient`];
  if (actual.shape.join(',') !== expected.shape.join(',')) {
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

describe('PyTorch fixtures, tensor group: gradients', () => {
  test('the fixtures are present', () => {
    expect(fixturesAvailable(), `no fixtures in ${fixturesDir()}`).toBe(true);
    expect(cases.length).toBeGreaterThan(0);
  });

  test('every tensor-group case has a table entry with the same PyTorch call', () => {
    const missing = cases.filter((c) => !(c.name in TABLE)).map((c) => `${c.name}: ${c.config.call}`);
    expect(missing, 'cases without a Torchlet equivalent in TABLE').toEqual([]);
    const changed = cases.filter((c) => TABLE[c.name] && TABLE[c.name]!.call !== c.config.call).map((c) => `${c.name}: ${c.config.call}`);
    expect(changed, 'cases whose PyTorch call differs from the table (update the entry)').toEqual([]);
  });

  test.each(cases.map((c) => [c.name, c.config.call as string]))('%s: %s', async (name) => {
    const entry = TABLE[name];
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
    const gradKeys = Object.keys(c.t).filter((k) => k.startsWith('grad.in.'));
    try {
      const outputs = torch.tidy(() => entry.run(inputs));
      const terms: Tensor[] = [];
      for (const [key, out] of Object.entries(outputs)) {
        const w = c.t[`w.${key}`];
        if (w && torch.isTensor(out) && (out.dtype === 'float32' || out.dtype === 'float64')) {
          const wt = load(w);
          const prod = torch.mul(out, wt);
          terms.push(torch.sum(prod));
          prod.dispose();
          wt.dispose();
        }
      }
      if (gradKeys.length === 0) {
        // Nothing to differentiate (argmax): the outputs must not require grad.
        for (const out of Object.values(outputs)) expect(out.requiresGrad).toBe(false);
      } else {
        let loss = torch.alias(terms[0]!);
        for (const t of terms.slice(1)) {
          const next = torch.add(loss, t);
          loss.dispose();
          loss = next;
        }
        loss.backward();
        const problems: string[] = [];
        for (const k of gradKeys) problems.push(...(await compare(k, inputs[k.slice(8)]!.grad, c.t[k]!, c.rtol, c.atol)));
        expect(problems, `${name} (${c.config.call}) gradients differ from PyTorch (rtol ${c.rtol}, atol ${c.atol})`).toEqual([]);
        loss.dispose();
      }
      for (const t of terms) t.dispose();
      for (const t of Object.values(outputs)) t.dispose();
    } finally {
      for (const t of Object.values(inputs)) t.dispose();
    }
    // Graph and saved tensors are freed once the outputs are gone.
    const after = torch.memoryStats();
    expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
    expect(after.liveTensors, 'tensors leaked').toBe(before.liveTensors);
  });
});
