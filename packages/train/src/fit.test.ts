/**
 * `fit` on a small task: three Gaussian blobs in 4-D, an MLP with dropout, Adam, shuffled
 * batches from a seeded DataLoader. The loss falls and the metrics are what they claim; early
 * stopping stops and restores; a run interrupted after a checkpoint and resumed from it ends
 * bit-identical to an uninterrupted one; the history file holds the history.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad } from '@torchlet/autograd';
import { DataLoader, TensorDataset } from '@torchlet/data';
import { save } from '@torchlet/io';
import { CrossEntropyLoss, Dropout, Linear, ReLU, Sequential, functional as F } from '@torchlet/nn';
import { Adam, ReduceLROnPlateau, StepLR } from '@torchlet/optim';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { afterAll, describe, expect, test } from 'vitest';
import { EarlyStoppingCallback, HistoryLogger, LRSchedulerCallback, ModelCheckpoint, ProgressBarCallback } from './callbacks.js';
import { evaluate, fit, type Callback, type History } from './fit.js';

const dir = mkdtempSync(join(tmpdir(), 'torchlet-fit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** n points per class around three centres. */
function blobs(n: number, seed: number): [Tensor, Tensor] {
  const g = new torch.Generator().manualSeed(seed);
  return torch.tidy(() => {
    const centres = torch.tensor([[2, 0, 0, 1], [-1, 2, 0, -1], [0, -2, 1, 0]]);
    const y = torch.arange(3, { dtype: 'int32' }).repeatInterleave(n);
    const x = torch.add(torch.indexSelect(centres, 0, y), torch.mul(torch.randn([3 * n, 4], { generator: g }), 0.8));
    return [x, y];
  });
}

const [Xtr, Ytr] = blobs(60, 1);
const [Xva, Yva] = blobs(20, 2);
afterAll(() => [Xtr, Ytr, Xva, Yva].forEach((t) => t.dispose()));

/** A fresh "process": model, optimizer, loaders (seeded shuffle), all from seed 0. */
function setup(lr = 0.02) {
  torch.manualSeed(0);
  const model = new Sequential(new Linear(4, 16), new ReLU(), new Dropout(0.2), new Linear(16, 3));
  const optimizer = new Adam(model.parameters(), { lr });
  const train = new DataLoader(new TensorDataset(Xtr, Ytr), { batchSize: 16, shuffle: true, generator: new torch.Generator().manualSeed(5) });
  const validation = new DataLoader(new TensorDataset(Xva, Yva), { batchSize: 32 });
  return { model, optimizer, train, validation };
}

async function params(model: Sequential): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const [k, p] of model.namedParameters()) out[k] = new Uint8Array(((await p.data()) as Float32Array).slice().buffer);
  return out;
}

describe('fit', () => {
  test('learns the task: the loss falls, accuracy and lr are logged per epoch, the CSV and JSON logs hold the history', async () => {
    const before = torch.memoryStats();
    const { model, optimizer, train, validation } = setup();
    const sched = new StepLR(optimizer, 3, { gamma: 0.5 });
    const csv = join(dir, 'history.csv');
    const json = join(dir, 'history.json');
    const history = await fit(model, {
      train,
      validation,
      loss: F.crossEntropy,
      optimizer,
      epochs: 8,
      metrics: ['accuracy'],
      callbacks: [new LRSchedulerCallback(sched), new HistoryLogger({ path: csv }), new HistoryLogger({ path: json })],
    });
    const h = history.history;
    expect(history.epoch).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Object.keys(h).sort()).toEqual(['accuracy', 'loss', 'lr', 'val_accuracy', 'val_loss']);
    expect(h.loss![7]!).toBeLessThan(h.loss![0]! * 0.5);
    expect(h.val_loss![7]!).toBeLessThan(h.val_loss![0]!);
    expect(h.val_accuracy![7]!).toBeGreaterThan(0.9);
    // the lr each epoch ran with: StepLR halves it every 3 epochs
    expect(h.lr).toEqual([0.02, 0.02, 0.02, 0.01, 0.01, 0.01, 0.005, 0.005]);
    // the logged validation accuracy is the final model's, counted by hand
    const logits = noGrad(() => (model.eval(), model.call(Xva)));
    const am = logits.argmax(1);
    const pred = am.dataSync();
    am.dispose();
    const yv = Yva.dataSync();
    let right = 0;
    for (let i = 0; i < yv.length; i++) right += pred[i] === yv[i] ? 1 : 0;
    expect(h.val_accuracy![7]).toBeCloseTo(right / yv.length, 6);
    // … and the validation loss the mean over all samples, whatever the batching
    const full = F.crossEntropy(logits, Yva);
    expect(h.val_loss![7]).toBeCloseTo(full.item(), 5);
    full.dispose();
    logits.dispose();
    // the log files
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy,lr');
    expect(lines).toHaveLength(9);
    expect(lines[8]!.split(',').map(Number)).toEqual([7, h.loss![7], h.accuracy![7], h.val_loss![7], h.val_accuracy![7], 0.005]);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual(history.toJSON());
    optimizer.dispose();
    model.dispose();
    const after = torch.memoryStats();
    expect(after.liveTensors - before.liveTensors, 'tensors leaked').toBe(0);
  });

  test('evaluate gives the loss and metrics of a dataset; array batches are left alone; a loss module works', async () => {
    const { model } = setup();
    const batches: [Tensor, Tensor][] = [[Xva, Yva]];
    const logs = await evaluate(model, {
      data: batches,
      loss: new CrossEntropyLoss(),
      metrics: { acc: (o, t) => torch.mean(torch.eq(o.argmax(1), t).float()), asyncOne: async () => 1 },
    });
    expect(logs.asyncOne).toBe(1);
    model.eval();
    const expected = noGrad(() => F.crossEntropy(model.call(Xva), Yva));
    model.train();
    expect(logs.loss).toBeCloseTo(expected.item(), 6);
    expect(logs.acc).toBeGreaterThanOrEqual(0);
    expect(Xva.dataSync()).toHaveLength(240); // the caller's batch is still there
    expected.dispose();
    model.dispose();
  });

  test('EarlyStoppingCallback stops after `patience` epochs without improvement and restores the best weights', async () => {
    const { model, optimizer, train } = setup();
    // a monitored value we choose per epoch: best at epoch 1, then worse twice → stop after epoch 3
    const scores = [5, 3, 4, 6, 1, 1];
    let epoch = 0;
    const weightsAt: Record<number, Record<string, Uint8Array>> = {};
    const recorder: Callback = {
      name: 'recorder',
      onEpochBegin: (e) => void (epoch = e),
      onEpochEnd: async (e) => void (weightsAt[e] = await params(model)),
    };
    const stopper = new EarlyStoppingCallback({ monitor: 'score', patience: 2, restoreBest: true });
    const history = await fit(model, { train, loss: F.crossEntropy, optimizer, epochs: 6, metrics: { score: () => scores[epoch]! }, callbacks: [recorder, stopper] });
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(history.history.score).toEqual([5, 3, 4, 6]);
    expect(stopper.stoppedEpoch).toBe(3);
    expect(await params(model)).toEqual(weightsAt[1]);
    expect(await params(model)).not.toEqual(weightsAt[3]);
    optimizer.dispose();
    model.dispose();
  });

  test('ReduceLROnPlateau on a monitored value, and per-step schedules', async () => {
    const { model, optimizer, train } = setup();
    const plateau = new ReduceLROnPlateau(optimizer, { patience: 0, factor: 0.5 });
    const scores = [3, 2, 2.5, 1, 1.5];
    let epoch = 0;
    const h = await fit(model, {
      train,
      loss: F.crossEntropy,
      optimizer,
      epochs: 5,
      metrics: { score: () => scores[epoch]! },
      callbacks: [{ onEpochBegin: (e) => void (epoch = e) }, new LRSchedulerCallback(plateau, { monitor: 'score' })],
    });
    // no improvement after epochs 2 and 4: the epochs after them run at half the rate
    expect(h.history.lr).toEqual([0.02, 0.02, 0.02, 0.01, 0.01]);
    optimizer.dispose();
    model.dispose();

    const s = setup();
    const steps: number[] = [];
    const perStep = new StepLR(s.optimizer, 2, { gamma: 0.1 });
    await fit(s.model, {
      train: s.train,
      loss: F.crossEntropy,
      optimizer: s.optimizer,
      epochs: 1,
      callbacks: [new LRSchedulerCallback(perStep, { interval: 'step' }), { onBatchBegin: () => void steps.push(s.optimizer.paramGroups[0]!.lr) }],
    });
    // 180 samples / 16 → 12 batches; the lr drops ×0.1 every 2 steps
    expect(steps).toHaveLength(12);
    steps.forEach((v, i) => expect(v).toBeCloseTo(0.02 * 0.1 ** Math.floor(i / 2), 12));
    s.optimizer.dispose();
    s.model.dispose();
  });

  test('a run resumed from its checkpoint ends bit-identical to an uninterrupted one (shuffle, dropout, Adam, StepLR, early stopping, history)', async () => {
    const run = async (opts: { crashAt?: number; resumeFrom?: string; tag: string }) => {
      const { model, optimizer, train, validation } = setup();
      const csv = join(dir, `resume-${opts.tag}.csv`);
      const sched = new StepLR(optimizer, 3, { gamma: 0.7 });
      const stopper = new EarlyStoppingCallback({ patience: 50, restoreBest: true });
      const callbacks: Callback[] = [
        new LRSchedulerCallback(sched),
        stopper,
        new ModelCheckpoint({ path: join(dir, `ckpt-${opts.tag}.safetensors`) }),
        new HistoryLogger({ path: csv }),
      ];
      if (opts.crashAt !== undefined) {
        const at = opts.crashAt;
        callbacks.push({ onEpochBegin: (e) => { if (e === at) throw new Error('simulated crash'); } });
      }
      let history: History | null = null;
      try {
        history = await fit(model, { train, validation, loss: F.crossEntropy, optimizer, epochs: 7, metrics: ['accuracy'], callbacks, resumeFrom: opts.resumeFrom });
      } catch (e) {
        if ((e as Error).message !== 'simulated crash') throw e;
      }
      const out = { history: history!, params: await params(model), csv: readFileSync(csv, 'utf8'), sched: sched.stateDict(), stopper: stopper.stopper!.stateDict() };
      optimizer.dispose();
      model.dispose();
      return out;
    };
    const full = await run({ tag: 'full' });
    const crashed = await run({ crashAt: 4, tag: 'crashed' });
    expect(crashed.history).toBeNull();
    // a resumed process: fresh objects, a different global RNG state, then the checkpoint
    torch.manualSeed(999);
    const resumed = await run({ resumeFrom: join(dir, 'ckpt-crashed.safetensors'), tag: 'crashed' });
    expect(resumed.history.toJSON()).toEqual(full.history.toJSON());
    expect(resumed.params).toEqual(full.params);
    expect(resumed.csv).toBe(full.csv);
    expect(resumed.sched).toEqual(full.sched);
    expect(resumed.stopper).toEqual(full.stopper);
    // and it really resumed: the interrupted run had different weights
    expect(crashed.params).not.toEqual(full.params);
  });

  test('refuses a checkpoint from a run with other stateful callbacks, and other files', async () => {
    const { model, optimizer, train } = setup();
    const path = join(dir, 'one.safetensors');
    await fit(model, { train, loss: F.crossEntropy, optimizer, epochs: 1, callbacks: [new ModelCheckpoint({ path })] });
    await expect(fit(model, { train, loss: F.crossEntropy, optimizer, epochs: 2, callbacks: [new EarlyStoppingCallback(), new ModelCheckpoint({ path })], resumeFrom: path })).rejects.toThrow(
      "fit: the checkpoint's callbacks with state [ModelCheckpoint] differ from this run's [EarlyStoppingCallback, ModelCheckpoint]",
    );
    const other = join(dir, 'other.safetensors');
    await save({ a: 1 }, other);
    await expect(fit(model, { train, loss: F.crossEntropy, optimizer, epochs: 2, resumeFrom: other })).rejects.toThrow('is not a fit checkpoint');
    await expect(fit(model, { train, loss: F.crossEntropy, optimizer, epochs: 1, metrics: ['f2'] })).rejects.toThrow("fit: unknown metric 'f2'");
    optimizer.dispose();
    model.dispose();
  });

  test('ProgressBarCallback draws each epoch with its batches and metrics', async () => {
    const { model, optimizer, train, validation } = setup();
    let text = '';
    const stream = { write: (s: string) => void (text += s), isTTY: true, columns: 120 };
    await fit(model, { train, validation, loss: F.crossEntropy, optimizer, epochs: 2, callbacks: [new ProgressBarCallback({ stream, minIntervalMs: 0 })] });
    expect(text).toContain('epoch 1/2');
    expect(text).toContain('epoch 2/2');
    expect(text).toContain('12/12');
    expect(text).toMatch(/val_loss=\d/);
    optimizer.dispose();
    model.dispose();
  });
});
