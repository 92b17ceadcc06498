/**
 * Parity with real PyTorch for every fixture case of the tensor core (`config.group ===
 * 'tensor'`), on every device: each case's `config.call` (the exact PyTorch expression) has
 * one Torchlet equivalent in `TENSOR_FIXTURES` (@torchlet/test-support/tensor-table), keyed by case name. Inputs
 * `in.*` are loaded as tensors on the device under test and every `out.*` is compared with
 * the case's rtol/atol. Gradients (`grad.*`) are checked by @torchlet/autograd. Missing
 * fixtures and cases without a table entry fail, never skip. The suite runs on 'cpu' and,
 * when an adapter exists, on 'webgpu' (REQUIRE_WEBGPU=1 makes a missing adapter a failure).
 */
import { openTestDevices } from '@torchlet/backend-webgpu/testing';
import { fixturesAvailable, fixturesDir, listCases, loadCase, type FixtureCase } from '@torchlet/fixtures';
import { compareFixture as compare, loadFixtureInputs as loadInputs, tableCoverage } from '@torchlet/test-support/fixture-helpers';
import { TENSOR_FIXTURES as TABLE, type FixtureInputs as Inputs, type FixtureOutputs as Outputs } from '@torchlet/test-support/tensor-table';
import { afterAll, describe, expect, test } from 'vitest';
import * as torch from './index.js';

const env = await openTestDevices();
afterAll(() => env.close());

const isTensorCase = (c: FixtureCase): boolean => c.kind === 'op' && c.config.group === 'tensor';
const cases: FixtureCase[] = fixturesAvailable() ? listCases(isTensorCase) : [];

describe('PyTorch fixtures, tensor group', () => {
  test('the fixtures are present', () => {
    expect(fixturesAvailable(), `no fixtures in ${fixturesDir()}`).toBe(true);
    expect(cases.length).toBeGreaterThan(0);
  });

  test('every tensor-group case has a table entry with the same PyTorch call', () => {
    const { missing, changed } = tableCoverage(cases, TABLE);
    expect(missing, 'cases without a Torchlet equivalent in TABLE').toEqual([]);
    expect(changed, 'cases whose PyTorch call differs from the table (update the entry)').toEqual([]);
  });

  if (env.skipReason) test.skip(`on webgpu: ${env.skipReason}`, () => {});
});

describe.each(env.devices)('PyTorch fixtures, tensor group on %s', (device) => {
  test.each(cases.map((c) => [c.name, c.config.call as string]))('%s: %s', async (name) => {
    const entry = TABLE[name];
    if (!entry) throw new Error(`no table entry for fixture case '${name}'`);
    const c = loadCase(name);
    const before = torch.memoryStats();
    const inputs: Inputs = loadInputs(c.t, device);
    let outputs: Outputs = {};
    try {
      outputs = torch.tidy(() => entry.run(inputs, { device }));
      const expectedKeys = Object.keys(c.t).filter((k) => k.startsWith('out.')).map((k) => k.slice(4)).sort();
      expect(Object.keys(outputs).sort()).toEqual(expectedKeys);
      const problems: string[] = [];
      for (const key of expectedKeys) problems.push(...(await compare(key, outputs[key]!, c.t[`out.${key}`]!, { rtol: c.rtol, atol: c.atol, device })));
      expect(problems, `${name} (${c.config.call}) differs from PyTorch on ${device} (rtol ${c.rtol}, atol ${c.atol})`).toEqual([]);
    } finally {
      for (const t of Object.values(outputs)) t.dispose();
      for (const t of Object.values(inputs)) t.dispose();
    }
    const after = torch.memoryStats();
    expect(after.liveTensors, 'tensors leaked').toBe(before.liveTensors);
    expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
  });
});
