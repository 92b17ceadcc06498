/**
 * `resetAfter: false` (Cho et al. 2014, Keras `reset_after=False`) against a hand-written
 * PyTorch loop (../../test-data/make_gru_reset_before.py): outputs, h_n and the gradients of
 * Σ out·w for the input, h0 and every parameter, on every path the op has — on the CPU the
 * default kernels (whole-layer Wasm where it applies, else the fused steps), the fused steps
 * alone, and the composed fallback; and on WebGPU when an adapter exists.
 * Tolerance |a − e| ≤ 2e-5·(1 + |e|); TORCHLET_REPORT_DIFFS=1 prints the largest absolute differences.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend, type DeviceName } from '@torchlet/backend';
import { openTestDevices } from '@torchlet/backend-webgpu/testing';
import { parseSafetensors, type FixtureTensor } from '@torchlet/fixtures';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { afterAll, describe, expect, test } from 'vitest';
import { GRUCell } from './cells.js';
import { PackedSequence, packPaddedSequence, padPackedSequence } from './packed.js';
import { GRU } from './rnn.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '../../test-data/gru_reset_before.safetensors');
const { tensors, metadata } = parseSafetensors(new Uint8Array(readFileSync(file)));
const CASES = JSON.parse(metadata.cases!) as { name: string; config: Record<string, any> }[];

const env = await openTestDevices();
afterAll(() => env.close());

const load = (t: FixtureTensor, device: DeviceName, grad = false): Tensor => {
  const x = torch.tensor(t.data, { shape: t.shape, dtype: 'float32', device });
  return grad ? x.requiresGrad_(true) : x;
};

type Path = 'default' | 'fused steps' | 'composed';
const WHOLE = ['recurrentForward', 'recurrentBackward'];
const STEPS = ['gruCell', 'gruCellBackward', 'gruResetGate', 'gruResetGateBackward'];

/** Runs `fn` with the named CPU fused kernels removed. */
async function without<T>(names: readonly string[], fn: () => Promise<T>): Promise<T> {
  const fused = getBackend('cpu').fused as Record<string, unknown>;
  const saved = names.map((n) => [n, fused[n]] as const);
  for (const n of names) delete fused[n];
  try {
    return await fn();
  } finally {
    for (const [n, f] of saved) if (f !== undefined) fused[n] = f;
  }
}

const worst: Record<string, number> = {};

/** Runs a case; returns the problems found (and records the largest difference per path). */
async function runCase(name: string, config: Record<string, any>, device: DeviceName, label: string): Promise<string[]> {
  const t = (k: string): FixtureTensor | undefined => tensors[`${name}/${k}`];
  const keys = Object.keys(tensors).filter((k) => k.startsWith(`${name}/`)).map((k) => k.slice(name.length + 1));
  const c = config;
  const m =
    c.module === 'GRUCell'
      ? new GRUCell(c.input_size, c.hidden_size, { bias: c.bias, resetAfter: false })
      : new GRU(c.input_size, c.hidden_size, { numLayers: c.num_layers, bidirectional: c.bidirectional, batchFirst: c.batch_first, bias: c.bias, resetAfter: false });
  m.to(device);
  const sd: Record<string, Tensor> = {};
  for (const k of keys.filter((k) => k.startsWith('param.'))) sd[k.slice(6)] = load(t(k)!, device);
  m.loadStateDict(sd, { strict: true });
  const input = load(t('in.input')!, device, true);
  const h0 = t('in.h0') ? load(t('in.h0')!, device, true) : null;
  const outs: Record<string, Tensor> = {};
  let packed: PackedSequence | null = null;
  if (c.module === 'GRUCell') outs.h1 = (m as GRUCell).call(input, h0);
  else if (c.lengths) {
    packed = packPaddedSequence(input, c.lengths as number[], { batchFirst: c.batch_first, enforceSorted: false });
    const [o, hN] = (m as GRU).forward(packed, h0);
    const [padded, lengths] = padPackedSequence(o, { batchFirst: c.batch_first, totalLength: c.seq });
    lengths.dispose();
    o.dispose();
    outs.output = padded;
    outs.h_n = hN;
  } else {
    const [o, hN] = (m as GRU).call(input, h0);
    outs.output = o;
    outs.h_n = hN;
  }
  const problems: string[] = [];
  const compare = async (key: string, actual: Tensor | null | undefined): Promise<void> => {
    const e = t(key)!;
    if (!actual) return void problems.push(`${key}: missing`);
    if (actual.device !== device) problems.push(`${key}: on ${actual.device}`);
    expect(actual.shape, key).toEqual(e.shape);
    const got = await actual.data();
    let d = 0;
    let abs = 0;
    for (let i = 0; i < got.length; i++) {
      const a = Math.abs(got[i]! - e.data[i]!);
      d = Math.max(d, a / (1 + Math.abs(e.data[i]!)));
      abs = Math.max(abs, a);
    }
    const kind = `${label}, ${key.startsWith('out.') ? 'outputs' : 'gradients'}`;
    worst[kind] = Math.max(worst[kind] ?? 0, abs);
    if (!(d <= 2e-5)) problems.push(`${key}: differs by ${d}`);
  };
  for (const k of keys.filter((k) => k.startsWith('out.'))) await compare(k, outs[k.slice(4)]);
  const loss = torch.tidy(() => {
    let l = torch.zeros([], { device });
    for (const [k, o] of Object.entries(outs)) l = torch.add(l, torch.sum(torch.mul(o, load(t(`w.${k}`)!, device))));
    return l;
  });
  loss.backward();
  for (const k of keys.filter((k) => k.startsWith('grad.'))) {
    const n = k.split('.').slice(2).join('.');
    await compare(k, k.startsWith('grad.in.') ? (n === 'input' ? input.grad : h0?.grad) : m.getParameter(n).grad);
  }
  for (const x of [loss, input, h0, ...Object.values(outs), ...Object.values(sd)]) x?.dispose();
  packed?.dispose();
  m.dispose();
  return problems;
}

describe('GRU and GRUCell with resetAfter: false against a PyTorch loop', () => {
  test('the fixture has every case', () => {
    expect(CASES.map((c) => c.name)).toEqual([
      'gru_rb_basic', 'gru_rb_h6', 'gru_rb_2layer', 'gru_rb_bidir', 'gru_rb_2layer_bidir', 'gru_rb_packed', 'gru_rb_packed_bidir_2layer',
      'gru_rb_batch_first_no_h0', 'gru_rb_no_bias', 'gru_rb_long', 'gru_rb_cell', 'gru_rb_cell_h6_no_bias',
    ]);
  });

  const cpuPaths: [Path, string[]][] = [
    ['default', []],
    ['fused steps', WHOLE],
    ['composed', [...WHOLE, ...STEPS]],
  ];
  for (const [path, removed] of cpuPaths) {
    test.each(CASES.map((c) => [c.name, c.config] as const))(`cpu, ${path}: %s`, async (name, config) => {
      const before = torch.memoryStats();
      const problems = await without(removed, () => runCase(name, config, 'cpu', `cpu ${process.env.TORCHLET_CPU_KERNELS ?? 'auto'} ${path}`));
      expect(problems).toEqual([]);
      const after = torch.memoryStats();
      expect(after.liveTensors - before.liveTensors, 'tensors leaked').toBe(0);
    });
  }

  if (env.webgpu) {
    test.each(CASES.map((c) => [c.name, c.config] as const))('webgpu: %s', async (name, config) => {
      expect(await runCase(name, config, 'webgpu', 'webgpu')).toEqual([]);
    });
  } else test.skip(`webgpu: ${env.skipReason}`, () => {});

  afterAll(() => {
    if (process.env.TORCHLET_REPORT_DIFFS) console.info('largest absolute difference per path:', worst);
  });
});
