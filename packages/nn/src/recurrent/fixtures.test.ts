/**
 * Parity with real PyTorch for every `rnn`, `cell` and `train` fixture case, on every device:
 * outputs, final states, gradients of Σ_k sum(out.k · w.k) for the inputs, the initial states
 * and every parameter, and the two training trajectories step by step. Each case must have an
 * entry in the tables of ../../test/recurrent-fixture-table.ts (a case without one fails), and
 * missing fixtures fail loudly. The suite runs on 'cpu' and, when an adapter exists, on 'webgpu'
 * (REQUIRE_WEBGPU=1 makes a missing adapter a failure).
 */
import type { DeviceName } from '@torchlet/backend';
import { openTestDevices } from '@torchlet/backend-webgpu/testing';
import { addedCases, fixturesAvailable, fixturesDir, listCases, loadCase, type FixtureCase, type LoadedCase } from '@torchlet/fixtures';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { afterAll, describe, expect, test } from 'vitest';
import { RECURRENT_FIXTURES as TABLE, TRAIN_FIXTURES as TRAIN, loadFixture as load, type CompareFn } from '../../test/recurrent-fixture-table.js';

const env = await openTestDevices();
afterAll(() => env.close());

const compareOn =
  (device: DeviceName): CompareFn =>
  async (name, actual, expected, rtol, atol) => {
    if (!expected) return [`${name}: no reference in the fixture`];
    if (!actual) return [`${name}: missing (no gradient or output)`];
    if (actual.device !== device) return [`${name}: on device ${actual.device}, expected ${device}`];
    if (actual.shape.join(',') !== expected.shape.join(',')) return [`${name}: shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`];
    const got = await actual.data();
    const bad: string[] = [];
    for (let i = 0; i < got.length; i++) {
      const a = got[i]!;
      const e = expected.data[i]!;
      if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) bad.push(`${name}[${i}]: ${a} vs PyTorch ${e}`);
    }
    return bad.length > 4 ? [...bad.slice(0, 4), `… ${bad.length - 4} more of ${got.length}`] : bad;
  };

const recurrent = (c: FixtureCase): boolean => c.kind === 'rnn' || c.kind === 'cell';
const cases: FixtureCase[] = fixturesAvailable() ? listCases(recurrent) : [];
// The generated train cases; the added ones (tooling/fixtures/added) have their own tests (../train-digits.test.ts).
const added = new Set(addedCases().map((c) => c.name));
const trainCases: FixtureCase[] = fixturesAvailable() ? listCases((c) => c.kind === 'train' && !added.has(c.name)) : [];

async function runCase(lc: LoadedCase, device: DeviceName): Promise<string[]> {
  const compare = compareOn(device);
  const entry = TABLE[lc.name]!;
  const m = entry.build(lc.config).to(device);
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(lc.t)) if (k.startsWith('param.')) sd[k.slice(6)] = load(v, device);
  m.loadStateDict(sd, { strict: true });
  const inputs: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(lc.t)) if (k.startsWith('in.') && k !== 'in.lengths') inputs[k.slice(3)] = load(v, device, v.dtype === 'F32');
  const outs = entry.run(m, inputs, lc.config);
  const problems: string[] = [];
  for (const key of Object.keys(lc.t).filter((k) => k.startsWith('out.'))) {
    problems.push(...(await compare(key, outs[key.slice(4)], lc.t[key], lc.rtol, lc.atol)));
  }
  let loss: Tensor | null = null;
  for (const [k, o] of Object.entries(outs)) {
    const w = lc.t[`w.${k}`];
    if (!w) continue;
    const term = torch.tidy(() => torch.sum(torch.mul(o, load(w, device))));
    const next: Tensor = loss ? torch.add(loss, term) : term;
    if (loss) {
      loss.dispose();
      term.dispose();
    }
    loss = next;
  }
  loss!.backward();
  for (const key of Object.keys(lc.t).filter((k) => k.startsWith('grad.'))) {
    const name = key.split('.').slice(2).join('.');
    const actual = key.startsWith('grad.in.') ? inputs[name]?.grad : m.getParameter(name).grad;
    problems.push(...(await compare(key, actual, lc.t[key], lc.rtol, lc.atol)));
  }
  // Parameters PyTorch gave a gradient must be exactly those that got one here.
  for (const [name, p] of m.namedParameters()) {
    if (!lc.t[`grad.param.${name}`] && p.grad) problems.push(`grad.param.${name}: unexpected gradient`);
  }
  loss!.dispose();
  for (const o of Object.values(outs)) o.dispose();
  for (const t of Object.values(inputs)) t.dispose();
  for (const t of Object.values(sd)) t.dispose();
  m.dispose();
  return problems;
}

describe('PyTorch fixtures: recurrent layers and cells', () => {
  test('the fixtures are present', () => {
    expect(fixturesAvailable(), `no fixtures in ${fixturesDir()}`).toBe(true);
    expect(cases.length).toBeGreaterThanOrEqual(26);
    expect(trainCases.length).toBeGreaterThanOrEqual(2);
  });

  test('every rnn, cell and train case has a table entry', () => {
    expect(cases.filter((c) => !(c.name in TABLE)).map((c) => c.name)).toEqual([]);
    expect(trainCases.filter((c) => !(c.name.replace(/^h_/, '') in TRAIN)).map((c) => c.name)).toEqual([]);
  });

  if (env.skipReason) test.skip(`on webgpu: ${env.skipReason}`, () => {});
});

describe.each(env.devices)('PyTorch fixtures: recurrent layers and cells on %s', (device) => {
  test.each(cases.map((c) => [c.name, JSON.stringify(c.config)]))('%s %s', async (name) => {
    const before = torch.memoryStats();
    const problems = await runCase(loadCase(name), device);
    expect(problems).toEqual([]);
    const after = torch.memoryStats();
    expect(after.liveTensors - before.liveTensors, 'tensors leaked').toBe(0);
    expect(after.liveStorages - before.liveStorages, 'storages leaked').toBe(0);
  });

  test.each(trainCases.map((c) => [c.name, c.config.forward as string]))('training trajectory %s: %s', async (name) => {
    const lc = loadCase(name);
    const before = torch.memoryStats();
    const problems = await TRAIN[name.replace(/^h_/, '')]!(lc, device, compareOn(device));
    expect(problems).toEqual([]);
    const after = torch.memoryStats();
    expect(after.liveTensors - before.liveTensors, 'tensors leaked (model, data or optimizer state)').toBe(0);
    expect(after.liveStorages - before.liveStorages, 'storages leaked').toBe(0);
  });
});
