/**
 * Parity with real PyTorch for every fixture case nn owns: `op` cases of group
 * `nn.functional` / `loss`, and every `module` and `clip` case, on every device. Modules are
 * built from `config` (tables in ../test/fixture-table.ts), moved to the device under test, load the
 * `param.*` state dict, run on `in.*`; outputs, the gradients of Σ_k sum(out.k · w.k) and
 * updated buffers are compared within the case's tolerance. A case without a table entry
 * fails, and missing fixtures fail loudly. The suite runs on 'cpu' and, when an adapter
 * exists, on 'webgpu' (REQUIRE_WEBGPU=1 makes a missing adapter a failure).
 */
import type { DeviceName } from '@torchlet/backend';
import { openTestDevices } from '@torchlet/backend-webgpu/testing';
import { fixturesAvailable, fixturesDir, listCases, loadCase, type FixtureCase, type FixtureTensor } from '@torchlet/fixtures';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { compareFixture, loadFixtureInputs as loadInputs, loadFixtureTensor as load } from '@torchlet/test-support/fixture-helpers';
import { afterAll, describe, expect, test } from 'vitest';
import { NN_MODULE_FIXTURES as MODULES, NN_OP_FIXTURES as OPS, type FixtureInputs as Inputs, type FixtureOutputs as Outputs } from '../test/fixture-table.js';
import * as nn from './index.js';

const env = await openTestDevices();
afterAll(() => env.close());

const owned = (c: FixtureCase): boolean =>
  (c.kind === 'op' && (c.config.group === 'nn.functional' || c.config.group === 'loss')) || c.kind === 'module' || c.kind === 'clip';
const cases: FixtureCase[] = fixturesAvailable() ? listCases(owned) : [];

const compare = (name: string, actual: Tensor | null, expected: FixtureTensor, rtol: number, atol: number, device: DeviceName): Promise<string[]> =>
  compareFixture(name, actual, expected, { rtol, atol, device });

/** loss = Σ_k sum(out.k · w.k) over the outputs that have a weight. */
function weightedLoss(c: ReturnType<typeof loadCase>, outputs: Outputs, device: DeviceName): Tensor | null {
  let loss: Tensor | null = null;
  for (const [key, out] of Object.entries(outputs)) {
    const w = c.t[`w.${key}`];
    if (!w || (out.dtype !== 'float32' && out.dtype !== 'float64')) continue;
    const term = torch.tidy(() => torch.sum(torch.mul(out, load(w, device))));
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

async function checkOutputs(c: ReturnType<typeof loadCase>, outputs: Outputs, device: DeviceName): Promise<string[]> {
  const problems: string[] = [];
  for (const key of Object.keys(c.t).filter((k) => k.startsWith('out.'))) {
    problems.push(...(await compare(key, outputs[key.slice(4)] ?? null, c.t[key]!, c.rtol, c.atol, device)));
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

  if (env.skipReason) test.skip(`on webgpu: ${env.skipReason}`, () => {});
});

describe.each(env.devices)('PyTorch fixtures owned by nn on %s', (device) => {

  test.each(cases.filter((c) => c.kind === 'op').map((c) => [c.name, c.config.call as string]))('op %s: %s', async (name) => {
    const entry = OPS[name];
    if (!entry) throw new Error(`no table entry for fixture case '${name}'`);
    const c = loadCase(name);
    const before = torch.memoryStats();
    const inputs: Inputs = loadInputs(c.t, device, { grad: true });
    try {
      const outputs = torch.tidy(() => entry.run(inputs, { device }));
      const problems = await checkOutputs(c, outputs, device);
      const loss = weightedLoss(c, outputs, device);
      const gradKeys = Object.keys(c.t).filter((k) => k.startsWith('grad.in.'));
      if (gradKeys.length > 0) {
        expect(loss, 'no loss to differentiate').not.toBeNull();
        loss!.backward();
        for (const k of gradKeys) problems.push(...(await compare(k, inputs[k.slice(8)]!.grad, c.t[k]!, c.rtol, c.atol, device)));
      }
      expect(problems, `${name} (${c.config.call}) differs from PyTorch on ${device} (rtol ${c.rtol}, atol ${c.atol})`).toEqual([]);
      loss?.dispose();
      for (const t of Object.values(outputs)) t.dispose();
    } finally {
      for (const t of Object.values(inputs)) t.dispose();
    }
    const after = torch.memoryStats();
    expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
    expect(after.liveTensors, 'tensors leaked').toBe(before.liveTensors);
  });

  const moduleCases = cases.filter((c) => c.kind === 'module');
  for (const c of moduleCases.filter((c) => MODULES[c.name]?.unsupported?.[device])) {
    test.skip(`module ${c.name} (${c.config.module as string}): ${MODULES[c.name]!.unsupported![device]!}`, () => {});
  }

  test.each(moduleCases.filter((c) => !MODULES[c.name]?.unsupported?.[device]).map((c) => [c.name, c.config.module as string]))('module %s (%s)', async (name) => {
    const entry = MODULES[name];
    if (!entry) throw new Error(`no table entry for fixture case '${name}'`);
    const c = loadCase(name);
    const before = torch.memoryStats();
    const model = entry.build(c.config).to(device);
    const sd: Record<string, Tensor> = {};
    for (const [key, t] of Object.entries(c.t)) if (key.startsWith('param.')) sd[key.slice(6)] = load(t, device);
    const inputs: Inputs = loadInputs(c.t, device, { grad: true });
    try {
      expect(Object.keys(model.stateDict()).sort()).toEqual(Object.keys(sd).sort());
      model.loadStateDict(sd);
      const outputs = torch.tidy(() => entry.run(model, inputs, { device }));
      const problems = await checkOutputs(c, outputs, device);
      const loss = weightedLoss(c, outputs, device);
      if (loss) loss.backward();
      for (const k of Object.keys(c.t)) {
        if (k.startsWith('grad.in.')) problems.push(...(await compare(k, inputs[k.slice(8)]!.grad, c.t[k]!, c.rtol, c.atol, device)));
        if (k.startsWith('grad.param.')) problems.push(...(await compare(k, model.getParameter(k.slice(11)).grad, c.t[k]!, c.rtol, c.atol, device)));
      }
      expect(problems, `${name} differs from PyTorch on ${device} (rtol ${c.rtol}, atol ${c.atol})`).toEqual([]);
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
      const g = load(c.t[`in.${key}`]!, device);
      const p = new nn.Parameter(torch.zerosLike(g));
      p.grad = g;
      params.push(p);
      byName[key] = p;
    }
    const total = nn.utils.clipGradNorm_(params, c.config.max_norm, { normType: c.config.norm_type });
    const problems = [
      ...(await compare('out.total_norm', total, c.t['out.total_norm']!, c.rtol, c.atol, device)),
      ...(await compare('out.grad_a', byName.grad_a!.grad, c.t['out.grad_a']!, c.rtol, c.atol, device)),
      ...(await compare('out.grad_b', byName.grad_b!.grad, c.t['out.grad_b']!, c.rtol, c.atol, device)),
    ];
    expect(problems).toEqual([]);
    total.dispose();
    for (const p of params) p.dispose();
    const after = torch.memoryStats();
    expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
    expect(after.liveTensors, 'tensors leaked').toBe(before.liveTensors);
  });
});
