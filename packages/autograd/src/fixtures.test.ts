/**
 * Gradient parity with real PyTorch for every fixture case of the tensor core
 * (`config.group === 'tensor'`), on every device: inputs `in.*` (on the device under test)
 * require grad, the loss is Σ_k sum(out.k · w.k) over the float outputs with a weight, and
 * every `grad.in.*` is compared with the case's tolerance. The forward of each case is the
 * tensor core's table (`TENSOR_FIXTURES`, @torchlet/test-support/tensor-table, one copy for
 * both suites); a case without an entry fails. The suite runs on 'cpu' and, when an adapter
 * exists, on 'webgpu' (REQUIRE_WEBGPU=1 makes a missing adapter a failure).
 */
import { openTestDevices } from '@torchlet/backend-webgpu/testing';
import { fixturesAvailable, fixturesDir, listCases, loadCase, type FixtureCase } from '@torchlet/fixtures';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { compareFixture as compare, loadFixtureInputs as loadInputs, loadFixtureTensor as load, tableCoverage } from '@torchlet/test-support/fixture-helpers';
import { TENSOR_FIXTURES as TABLE, type FixtureInputs as Inputs } from '@torchlet/test-support/tensor-table';
import { afterAll, describe, expect, test } from 'vitest';
import './index.js';

const env = await openTestDevices();
afterAll(() => env.close());

const isTensorCase = (c: FixtureCase): boolean => c.kind === 'op' && c.config.group === 'tensor';
const cases: FixtureCase[] = fixturesAvailable() ? listCases(isTensorCase) : [];

describe('PyTorch fixtures, tensor group: gradients', () => {
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

describe.each(env.devices)('PyTorch fixtures, tensor group: gradients on %s', (device) => {
  test.each(cases.map((c) => [c.name, c.config.call as string]))('%s: %s', async (name) => {
    const entry = TABLE[name];
    if (!entry) throw new Error(`no table entry for fixture case '${name}'`);
    const c = loadCase(name);
    const before = torch.memoryStats();
    const inputs: Inputs = loadInputs(c.t, device, { grad: true });
    const gradKeys = Object.keys(c.t).filter((k) => k.startsWith('grad.in.'));
    try {
      const outputs = torch.tidy(() => entry.run(inputs, { device }));
      const terms: Tensor[] = [];
      for (const [key, out] of Object.entries(outputs)) {
        const w = c.t[`w.${key}`];
        if (w && torch.isTensor(out) && (out.dtype === 'float32' || out.dtype === 'float64')) {
          const wt = load(w, device);
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
        for (const k of gradKeys) problems.push(...(await compare(k, inputs[k.slice(8)]!.grad, c.t[k]!, { rtol: c.rtol, atol: c.atol, device })));
        expect(problems, `${name} (${c.config.call}) gradients differ from PyTorch on ${device} (rtol ${c.rtol}, atol ${c.atol})`).toEqual([]);
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
