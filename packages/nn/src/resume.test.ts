/**
 * Exact resume: a run with shuffling (a seeded DataLoader generator), dropout (the global RNG),
 * Adam and a StepLR scheduler is interrupted mid-epoch, saved with `@torchlet/io`'s `save`,
 * rebuilt from fresh objects, loaded with `load`, continued from the same batch, and must end
 * with parameters bit-identical to an uninterrupted run.
 *
 * What the checkpoint holds: model, optimizer and scheduler state dicts, the epoch and the
 * number of batches done in it, the global RNG state (`getRngState`, for dropout) and the
 * loader's generator state *at the start of the epoch* — replaying it reproduces the epoch's
 * shuffle, and the resumed run skips the batches already done (fetching them draws no random
 * numbers), as one does with PyTorch's DataLoader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataLoader, TensorDataset } from '@torchlet/data';
import { load, save } from '@torchlet/io';
import { Adam, StepLR, type OptimizerStateDict } from '@torchlet/optim';
import * as torch from '@torchlet/tensor';
import type { GeneratorState, Tensor } from '@torchlet/tensor';
import { afterAll, describe, expect, test } from 'vitest';
import { Sequential } from './containers.js';
import { crossEntropy } from './functional/loss.js';
import { Dropout, ReLU } from './index.js';
import { Linear } from './layers/linear.js';

const EPOCHS = 3;
const dir = mkdtempSync(join(tmpdir(), 'torchlet-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Synthetic 3-class data: 40 samples, 6 features; batches of 8 → 5 batches per epoch.
const dataGen = new torch.Generator().manualSeed(7);
const X = torch.randn([40, 6], { generator: dataGen });
const Y = torch.randint(0, 3, [40], { dtype: 'int32', generator: dataGen });
afterAll(() => {
  X.dispose();
  Y.dispose();
});

interface Checkpoint {
  model: Record<string, Tensor>;
  optimizer: OptimizerStateDict;
  scheduler: Record<string, unknown>;
  epoch: number;
  batch: number;
  rng: GeneratorState;
  loaderGenerator: GeneratorState;
}

/** A fresh "process": new model, optimizer, scheduler, generator and loader. */
function setup() {
  torch.manualSeed(0);
  const model = new Sequential(new Linear(6, 16), new ReLU(), new Dropout(0.3), new Linear(16, 3));
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const sched = new StepLR(opt, 1, { gamma: 0.5 });
  const gen = new torch.Generator().manualSeed(123);
  const loader = new DataLoader(new TensorDataset(X, Y), { batchSize: 8, shuffle: true, generator: gen });
  return { model, opt, sched, gen, loader };
}

type Run = ReturnType<typeof setup>;

/**
 * Trains from (startEpoch, skip batches) to the end, or until `stopAt` where it saves a
 * checkpoint to `path` and returns false.
 */
async function train(run: Run, start: { epoch: number; batch: number }, stopAt?: { epoch: number; batch: number; path: string }): Promise<boolean> {
  const { model, opt, sched, gen, loader } = run;
  model.train();
  for (let epoch = start.epoch; epoch < EPOCHS; epoch++) {
    const loaderGenerator = gen.getState(); // before the epoch's shuffle is drawn
    let i = 0;
    for (const [xb, yb] of loader as Iterable<Tensor[]>) {
      if (epoch === start.epoch && i < start.batch) {
        xb!.dispose();
        yb!.dispose();
        i++;
        continue;
      }
      if (stopAt && epoch === stopAt.epoch && i === stopAt.batch) {
        xb!.dispose();
        yb!.dispose();
        const ckpt: Checkpoint = {
          model: model.stateDict(),
          optimizer: opt.stateDict(),
          scheduler: sched.stateDict(),
          epoch,
          batch: i,
          rng: torch.getRngState(),
          loaderGenerator,
        };
        await save(ckpt, stopAt.path);
        return false;
      }
      opt.zeroGrad();
      const logits = model.call(xb!);
      const loss = crossEntropy(logits, yb!);
      loss.backward();
      opt.step();
      loss.dispose();
      logits.dispose();
      xb!.dispose();
      yb!.dispose();
      i++;
    }
    sched.step();
  }
  return true;
}

async function resume(path: string, restoreRng = true): Promise<Run> {
  const run = setup(); // new objects; their own init draws are overwritten by the checkpoint
  const ckpt = await load<Checkpoint>(path);
  run.model.loadStateDict(ckpt.model, { strict: true });
  run.opt.loadStateDict(ckpt.optimizer);
  run.sched.loadStateDict(ckpt.scheduler);
  if (restoreRng) torch.setRngState(ckpt.rng);
  run.gen.setState(ckpt.loaderGenerator);
  for (const t of Object.values(ckpt.model)) t.dispose();
  for (const s of Object.values(ckpt.optimizer.state)) for (const v of Object.values(s)) if (torch.isTensor(v)) v.dispose();
  await train(run, { epoch: ckpt.epoch, batch: ckpt.batch });
  return run;
}

async function finalParams(run: Run): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [k, p] of run.model.namedParameters()) out[k] = (await p.data()) as Float32Array;
  run.opt.dispose();
  run.model.dispose();
  return out;
}

function bitsEqual(a: Record<string, Float32Array>, b: Record<string, Float32Array>): string[] {
  const diff: string[] = [];
  for (const k of Object.keys(a)) {
    const x = new Uint8Array(a[k]!.buffer, a[k]!.byteOffset, a[k]!.byteLength);
    const y = b[k] ? new Uint8Array(b[k].buffer, b[k].byteOffset, b[k].byteLength) : new Uint8Array();
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) diff.push(k);
  }
  return diff;
}

describe('resume from a mid-epoch checkpoint', () => {
  test('ends bit-identical to an uninterrupted run (shuffle, dropout, Adam, StepLR)', async () => {
    const before = torch.memoryStats();
    const a = setup();
    const initial = (await a.model.namedParameters()[0]![1].data()).slice();
    expect(await train(a, { epoch: 0, batch: 0 })).toBe(true);
    expect(a.opt.paramGroups[0]!.lr).toBeCloseTo(0.01 * 0.5 ** EPOCHS);
    const pa = await finalParams(a);
    expect(Array.from(pa['0.weight']!)).not.toEqual(Array.from(initial));

    const path = join(dir, 'mid-epoch.ckpt');
    const b = setup();
    expect(await train(b, { epoch: 0, batch: 0 }, { epoch: 1, batch: 2, path })).toBe(false);
    b.opt.dispose();
    b.model.dispose();
    // Something else uses the global RNG in between, as a new process would start elsewhere.
    torch.manualSeed(999);
    const resumed = await resume(path);
    expect(resumed.opt.paramGroups[0]!.lr).toBeCloseTo(0.01 * 0.5 ** EPOCHS);
    const pb = await finalParams(resumed);

    expect(Object.keys(pb)).toEqual(Object.keys(pa));
    expect(bitsEqual(pa, pb)).toEqual([]);

    // The check has teeth: without the global RNG state, dropout draws other masks.
    torch.manualSeed(999);
    const pc = await finalParams(await resume(path, false));
    expect(bitsEqual(pa, pc).length).toBeGreaterThan(0);

    const after = torch.memoryStats();
    expect(after.liveTensors - before.liveTensors, 'tensors leaked').toBe(0);
  });
});
