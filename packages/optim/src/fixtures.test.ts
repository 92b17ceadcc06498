/**
 * Parity with real PyTorch for every `optim` and `scheduler` fixture case
 * (tooling/fixtures/pytorch, made by tooling/fixtures/pytorch_fixtures.py).
 *
 * - optim: parameters p0 (3×4) and b0 (4); each of 5 steps is `zeroGrad`, the loss
 *   `mean((x @ p + b − y)²)`, `backward`, `step`; `out.p{k}` / `out.b{k}` are the parameters after step k.
 * - scheduler: `SGD([p], lr=0.1, momentum=0.9)`; `out.lr` is the lr before each of 10
 *   `opt.step(); sched.step()` rounds (ReduceLROnPlateau: `SGD(lr=0.1)`, lr after each `step(metric)`).
 *
 * Cases are keyed by name (the hidden suite's `h_` prefix shares an entry; tables in
 * ../test/fixture-table.ts). A case without an entry fails; missing fixtures fail loudly. Optim cases
 * run on 'cpu' and, when an adapter exists, on 'webgpu' (REQUIRE_WEBGPU=1 makes a missing
 * adapter a failure); scheduler cases compute learning rates on the host and run once.
 * A trajectory whose snapshots are all the same array (a generator that recorded the parameters
 * without cloning them) fails, naming the problem.
 */
import '@torchlet/autograd';
import type { DeviceName } from '@torchlet/backend';
import { openTestDevices } from '@torchlet/backend-webgpu/testing';
import { fixturesAvailable, fixturesDir, listCases, loadCase, type FixtureTensor } from '@torchlet/fixtures';
import { tensor, type Tensor, zeros } from '@torchlet/tensor';
import { afterAll, describe, expect, test } from 'vitest';
import { OPTIM_FIXTURES as OPTIM, PLATEAU_FIXTURES as PLATEAU, SCHEDULER_FIXTURES as SCHED, quadraticBackward } from '../test/fixture-table.js';
import { SGD } from './optimizers/sgd.js';

const env = await openTestDevices();
afterAll(() => env.close());

const key = (name: string): string => name.replace(/^h_/, '');

type Tensors = Record<string, FixtureTensor>;

function sameData(a: FixtureTensor | undefined, b: FixtureTensor | undefined): boolean {
  if (!a || !b || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}

/** True when every snapshot p0…p5 is the same array (the generator's aliasing bug). */
function aliased(t: Tensors, steps: number): boolean {
  for (let s = 1; s <= steps; s++) if (!sameData(t['in.p0'], t[`out.p${s}`])) return false;
  return true;
}

/** The case's tensors, after checking its snapshots are not aliased. */
function trajectory(name: string, t: Tensors, steps: number): Tensors {
  if (aliased(t, steps)) {
    throw new Error(
      `${name}: the fixture's snapshots are aliased (in.p0 = out.p1 = … = out.p${steps}: the generator recorded the ` +
        `parameter without cloning it); regenerate it with tooling/fixtures/pytorch_fixtures.py`,
    );
  }
  return t;
}

function toTensor(f: FixtureTensor, device: DeviceName): Tensor {
  return tensor(f.data.slice(), { shape: f.shape, device });
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${what}[${i}]: got ${a}, PyTorch ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

describe('PyTorch fixtures: optim and scheduler', () => {
  test('the fixtures are present', () => {
    expect(fixturesAvailable(), `PyTorch fixtures missing in ${fixturesDir()}`).toBe(true);
  });

  const cases = fixturesAvailable() ? listCases((c) => c.kind === 'optim' || c.kind === 'scheduler') : [];

  test('there are optim and scheduler cases', () => {
    expect(cases.filter((c) => c.kind === 'optim').length).toBeGreaterThanOrEqual(8);
    expect(cases.filter((c) => c.kind === 'scheduler').length).toBeGreaterThanOrEqual(8);
  });

  if (env.skipReason) test.skip(`optim cases on webgpu: ${env.skipReason}`, () => {});

  for (const device of env.devices) {
    for (const c of cases.filter((x) => x.kind === 'optim')) {
      test(`${c.name} on ${device}`, async () => {
        const make = OPTIM[key(c.name)];
        if (!make) throw new Error(`optim case ${c.name} has no entry in the table`);
        const k = loadCase(c.name);
        const steps = (k.config['steps'] as number) ?? 5;
        const t = trajectory(c.name, k.t, steps);
        const p = toTensor(t['in.p0']!, device).requiresGrad_();
        const b = toTensor(t['in.b0']!, device).requiresGrad_();
        const x = toTensor(t['in.x']!, device);
        const y = toTensor(t['in.y']!, device);
        const opt = make(p, b);
        for (let s = 1; s <= steps; s++) {
          opt.zeroGrad();
          quadraticBackward(x, y, p, b);
          opt.step();
          expectClose(await p.data(), t[`out.p${s}`]!.data, c.rtol, c.atol, `${c.name} p${s}`);
          expectClose(await b.data(), t[`out.b${s}`]!.data, c.rtol, c.atol, `${c.name} b${s}`);
        }
        expect(p.device).toBe(device);
        opt.zeroGrad();
        opt.dispose();
        for (const t of [p, b, x, y]) t.dispose();
      });
    }
  }

  for (const c of cases.filter((x) => x.kind === 'scheduler')) {
    test(c.name, () => {
      const k = loadCase(c.name);
      const expected = k.t['out.lr']!.data;
      const p = zeros([1]).requiresGrad_();
      const lrs: number[] = [];
      const plateau = PLATEAU[key(c.name)];
      const make = SCHED[key(c.name)];
      if (plateau) {
        const opt = new SGD([p], { lr: 0.1 });
        const s = plateau(opt);
        for (const m of k.config['metrics'] as number[]) {
          s.step(m);
          lrs.push(opt.paramGroups[0]!.lr);
        }
        expect(s.getLastLr()).toEqual([lrs[lrs.length - 1]]);
      } else if (make) {
        const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
        const s = make(opt);
        for (let i = 0; i < 10; i++) {
          lrs.push(opt.paramGroups[0]!.lr);
          opt.step();
          s.step();
        }
        expect(s.getLastLr()).toEqual([opt.paramGroups[0]!.lr]);
      } else throw new Error(`scheduler case ${c.name} has no entry in the table`);
      expectClose(lrs, expected, c.rtol, c.atol, c.name);
      p.dispose();
    });
  }
});
