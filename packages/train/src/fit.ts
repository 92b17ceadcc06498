/**
 * `fit(model, options)`: the training loop Keras users expect from `model.fit`, over
 * Torchlet's (PyTorch-named) pieces — a `Module`, an optimizer, a loss function or loss module,
 * batches from a `DataLoader` (or any iterable of `[input, target]`), metrics and callbacks.
 *
 * Per epoch: `model.train()`, then per batch zeroGrad → forward → loss → backward →
 * (clipGradNorm) → step, with the loss and metrics averaged over samples; then, with
 * `validation`, the same averages under `model.eval()` and no grad (as `val_<name>`); then the
 * callbacks' `onEpochEnd`. Returns the `History` (one value per epoch for every key).
 *
 * `resumeFrom` continues from a checkpoint written by `ModelCheckpoint`: model, optimizer,
 * callback states (schedulers, early stopping), the global RNG, the loaders' generators and the
 * history are restored and training starts at the next epoch, so a resumed run equals an
 * uninterrupted one bit for bit.
 */
import { noGrad } from '@torchlet/autograd';
import { load } from '@torchlet/io';
import { utils as nnUtils, type Module } from '@torchlet/nn';
import type { Optimizer, OptimizerStateDict } from '@torchlet/optim';
import * as torch from '@torchlet/tensor';
import { ValueError, isTensor, type GeneratorState, type Tensor } from '@torchlet/tensor';
import { metricNumber, resolveMetrics, type MetricFn, type MetricValue } from './metrics.js';

/** One epoch's (or batch's) numbers by key: `loss`, metric names, `val_*`, `lr`. */
export type Logs = Record<string, number>;

/** The loop's hooks. Every one may be async; `fit` awaits it. */
export interface Callback {
  /** Name under which its state is checkpointed (default: the class name). */
  readonly name?: string;
  /** Run the epoch-end hook after the other callbacks' (checkpoints and loggers see the epoch's final state). */
  readonly runsLast?: boolean;
  onTrainBegin?(ctx: FitContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: FitContext): void | Promise<void>;
  onBatchBegin?(batch: number, ctx: FitContext): void | Promise<void>;
  /** `logs`: this batch's `loss`, `size` (samples) and training metrics. */
  onBatchEnd?(batch: number, logs: Logs, ctx: FitContext): void | Promise<void>;
  /** `logs`: the epoch's averages (`loss`, metrics, `val_*`) and `lr`. */
  onEpochEnd?(epoch: number, logs: Logs, ctx: FitContext): void | Promise<void>;
  onTrainEnd?(ctx: FitContext): void | Promise<void>;
  /** Its part of a checkpoint (tensors allowed); callbacks with one must be the same, in order, when resuming. */
  stateDict?(): unknown;
  /** Restores `stateDict()`'s value (copying any tensors it keeps: the loaded ones are disposed after). */
  loadStateDict?(state: unknown): void;
}

/** What callbacks see of the run. */
export interface FitContext {
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly epochs: number;
  /** Batches per epoch when the training source knows it. */
  readonly stepsPerEpoch: number | undefined;
  readonly history: History;
  /** Whether there is validation data (so `val_*` keys exist). */
  readonly hasValidation: boolean;
  /** Set by a callback to end training after the current epoch. */
  stopTraining: boolean;
  /** The resumable state after epoch `epoch` (what `ModelCheckpoint` saves). */
  checkpoint(epoch: number): FitCheckpoint;
}

/** `fit`'s return value: every key's value per epoch, as Keras's `History.history`. */
export class History {
  /** The epochs run (0-based), including those before a resume. */
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};

  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }

  /** Rows `{ epoch, …logs }`, one per epoch. */
  rows(): Logs[] {
    return this.epoch.map((e, i) => {
      const row: Logs = { epoch: e };
      for (const [k, v] of Object.entries(this.history)) if (v[i] !== undefined) row[k] = v[i]!;
      return row;
    });
  }

  toJSON(): { epoch: number[]; history: Record<string, number[]> } {
    return { epoch: [...this.epoch], history: Object.fromEntries(Object.entries(this.history).map(([k, v]) => [k, [...v]])) };
  }
}

/** A batch: `[input, target]` (a DataLoader's `[x, y]`), or an object with `input` and `target`. */
export type Batch = readonly unknown[] | { input: unknown; target: unknown };

export type BatchSource = Iterable<Batch> | AsyncIterable<Batch>;

export type LossFn = ((output: Tensor, target: Tensor) => Tensor) | { call(output: Tensor, target: Tensor): Tensor };

export interface FitOptions {
  /** Training batches, iterated once per epoch (a `DataLoader`, an array of batches …). */
  train: BatchSource;
  /** Validation batches, evaluated after each epoch. */
  validation?: BatchSource;
  /** `F.crossEntropy`-like function or a loss module (`new nn.CrossEntropyLoss()`). */
  loss: LossFn;
  optimizer: Optimizer;
  epochs: number;
  /** Built-in names (`accuracy`, `mae`, `mse`) or `{ name: (output, target) => value }`. */
  metrics?: readonly string[] | Readonly<Record<string, MetricFn>>;
  callbacks?: readonly Callback[];
  /** A checkpoint path written by `ModelCheckpoint`: continue that run. */
  resumeFrom?: string;
  /** The model's output for a batch input (default `model.call(input)`; e.g. pick the output of an RNN's pair). */
  forward?: (model: Module, input: any) => Tensor;
  /** Clip the gradients' global 2-norm to this before each step. */
  clipGradNorm?: number;
  /**
   * Dispose each batch's tensors after its step (default: true unless the source is an array,
   * whose batches are reused every epoch).
   */
  disposeBatches?: boolean;
}

/** What `ModelCheckpoint` writes and `resumeFrom` reads. */
export interface FitCheckpoint {
  format: 'torchlet-fit';
  version: 1;
  /** The last epoch completed. */
  epoch: number;
  model: Record<string, Tensor>;
  optimizer: OptimizerStateDict;
  callbacks: { name: string; state: unknown }[];
  rng: GeneratorState;
  generators: { train?: GeneratorState; validation?: GeneratorState };
  history: { epoch: number[]; history: Record<string, number[]> };
  stopped: boolean;
}

interface StatefulGenerator {
  getState(): GeneratorState;
  setState(s: GeneratorState): unknown;
}

/** The shuffle generator of a `DataLoader` (or anything with a `generator` that has state). */
function generatorOf(source: BatchSource | undefined): StatefulGenerator | undefined {
  const g = (source as { generator?: Partial<StatefulGenerator> } | undefined)?.generator;
  return g && typeof g.getState === 'function' && typeof g.setState === 'function' ? (g as StatefulGenerator) : undefined;
}

function stepsOf(source: BatchSource): number | undefined {
  try {
    const n = (source as { length?: unknown }).length;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined; // an IterableDataset loader without a length
  }
}

function unpack(batch: Batch): [unknown, Tensor] {
  if (Array.isArray(batch) && batch.length >= 2) return [batch[0], batch[1] as Tensor];
  const b = batch as { input?: unknown; target?: unknown };
  if (b && 'input' in b && 'target' in b) return [b.input, b.target as Tensor];
  throw new ValueError('fit: a batch must be [input, target] or { input, target }');
}

function collectTensors(v: unknown, out: Tensor[], seen = new Set<unknown>()): Tensor[] {
  if (v === null || typeof v !== 'object' || seen.has(v)) return out;
  seen.add(v);
  if (isTensor(v)) out.push(v);
  else if (Array.isArray(v)) for (const x of v) collectTensors(x, out, seen);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collectTensors(x, out, seen);
  return out;
}

function lossFnOf(loss: LossFn): (o: Tensor, t: Tensor) => Tensor {
  if (typeof loss === 'function') return loss;
  if (loss && typeof (loss as { call?: unknown }).call === 'function') return (o, t) => loss.call(o, t);
  throw new ValueError('fit: loss must be a function or a loss module');
}

/** A metric's value with its synchronous part under noGrad (a promise is passed through boxed: noGrad scopes are synchronous). */
function metricNoGrad(fn: MetricFn, out: Tensor, y: Tensor): MetricValue {
  return noGrad(() => ({ v: fn(out, y) })).v;
}

const callbackName = (c: Callback): string => c.name ?? c.constructor?.name ?? 'callback';

/** Sample-weighted running means. */
class Means {
  readonly #sum = new Map<string, number>();
  readonly #n = new Map<string, number>();
  add(key: string, value: number, weight: number): void {
    this.#sum.set(key, (this.#sum.get(key) ?? 0) + value * weight);
    this.#n.set(key, (this.#n.get(key) ?? 0) + weight);
  }
  result(prefix = ''): Logs {
    const out: Logs = {};
    for (const [k, s] of this.#sum) out[prefix + k] = s / this.#n.get(k)!;
    return out;
  }
}

/** Trains `model`; resolves to the history of every epoch. */
export async function fit(model: Module, options: FitOptions): Promise<History> {
  const { train, validation, optimizer, callbacks = [] } = options;
  const epochs = options.epochs;
  if (!Number.isInteger(epochs) || epochs < 0) throw new ValueError(`fit: epochs must be a non-negative integer, got ${epochs}`);
  if (!train || (typeof (train as Iterable<Batch>)[Symbol.iterator] !== 'function' && typeof (train as AsyncIterable<Batch>)[Symbol.asyncIterator] !== 'function')) {
    throw new ValueError('fit: train must be an iterable of batches (a DataLoader, an array …)');
  }
  if (!optimizer || typeof optimizer.step !== 'function') throw new ValueError('fit: optimizer is required');
  const lossOf = lossFnOf(options.loss);
  const metrics = resolveMetrics(options.metrics);
  const forward = options.forward ?? ((m: Module, x: unknown) => m.call(x) as Tensor);
  // callbacks with state (schedulers, early stopping …) are checkpointed; the rest may differ on resume
  const stateful = callbacks.filter((c) => typeof c.stateDict === 'function');
  const names = stateful.map(callbackName);
  const history = new History();
  const trainGen = generatorOf(train);
  const valGen = generatorOf(validation);

  const ctx: FitContext = {
    model,
    optimizer,
    epochs,
    stepsPerEpoch: stepsOf(train),
    history,
    hasValidation: validation !== undefined,
    stopTraining: false,
    checkpoint: (epoch) => ({
      format: 'torchlet-fit',
      version: 1,
      epoch,
      model: model.stateDict(),
      optimizer: optimizer.stateDict(),
      callbacks: stateful.map((c) => ({ name: callbackName(c), state: c.stateDict!() })),
      rng: torch.getRngState(),
      generators: { train: trainGen?.getState(), validation: valGen?.getState() },
      history: history.toJSON(),
      stopped: ctx.stopTraining,
    }),
  };

  let start = 0;
  if (options.resumeFrom !== undefined) {
    const ck = await load<FitCheckpoint>(options.resumeFrom);
    try {
      if (ck?.format !== 'torchlet-fit') throw new ValueError(`fit: ${options.resumeFrom} is not a fit checkpoint (ModelCheckpoint writes those)`);
      const saved = ck.callbacks.map((c) => c.name);
      if (saved.join('\0') !== names.join('\0')) {
        throw new ValueError(`fit: the checkpoint's callbacks with state [${saved.join(', ')}] differ from this run's [${names.join(', ')}]; resume with the same callbacks`);
      }
      model.loadStateDict(ck.model, { strict: true });
      optimizer.loadStateDict(ck.optimizer);
      stateful.forEach((c, i) => c.loadStateDict?.(ck.callbacks[i]!.state));
      torch.setRngState(ck.rng);
      if (ck.generators.train && trainGen) trainGen.setState(ck.generators.train);
      if (ck.generators.validation && valGen) valGen.setState(ck.generators.validation);
      ck.history.epoch.forEach((e, i) => history.record(e, Object.fromEntries(Object.entries(ck.history.history).map(([k, v]) => [k, v[i]!]))));
      start = ck.epoch + 1;
      ctx.stopTraining = ck.stopped;
    } finally {
      for (const t of collectTensors(ck, [])) t.dispose();
    }
  }

  const disposeBatches = options.disposeBatches ?? !Array.isArray(train);
  const disposeValBatches = options.disposeBatches ?? !Array.isArray(validation);
  const ordered = [...callbacks.filter((c) => !c.runsLast), ...callbacks.filter((c) => c.runsLast)];
  const params = model.parameters();

  for (const c of callbacks) await c.onTrainBegin?.(ctx);
  try {
    for (let epoch = start; epoch < epochs && !ctx.stopTraining; epoch++) {
      for (const c of callbacks) await c.onEpochBegin?.(epoch, ctx);
      model.train();
      const means = new Means();
      let b = 0;
      for await (const batch of train as AsyncIterable<Batch>) {
        for (const c of callbacks) await c.onBatchBegin?.(b, ctx);
        const [x, y] = unpack(batch);
        const size = isTensor(y) && y.ndim > 0 ? y.shape[0]! : 1;
        optimizer.zeroGrad();
        const [out, loss] = torch.tidy(() => {
          const o = forward(model, x);
          return [o, lossOf(o, y)] as [Tensor, Tensor];
        });
        const logs: Logs = { size };
        try {
          loss.backward();
          if (options.clipGradNorm !== undefined) nnUtils.clipGradNorm_(params, options.clipGradNorm).dispose();
          optimizer.step();
          logs.loss = (await loss.data())[0]!;
          for (const [name, fn] of metrics) logs[name] = await metricNumber(metricNoGrad(fn, out, y));
        } finally {
          out.dispose();
          loss.dispose();
          if (disposeBatches) for (const t of collectTensors(batch, [])) t.dispose();
        }
        for (const [k, v] of Object.entries(logs)) if (k !== 'size') means.add(k, v, size);
        for (const c of callbacks) await c.onBatchEnd?.(b, logs, ctx);
        b++;
      }
      const logs: Logs = means.result();
      if (validation) Object.assign(logs, await evaluateImpl(model, validation, lossOf, metrics, forward, disposeValBatches, 'val_'));
      logs.lr = optimizer.paramGroups[0]!.lr as number;
      history.record(epoch, logs);
      for (const c of ordered) await c.onEpochEnd?.(epoch, logs, ctx);
    }
  } finally {
    for (const c of callbacks) await c.onTrainEnd?.(ctx);
  }
  return history;
}

export interface EvaluateOptions {
  /** The batches to evaluate. */
  data: BatchSource;
  loss: LossFn;
  metrics?: FitOptions['metrics'];
  forward?: FitOptions['forward'];
  disposeBatches?: boolean;
}

/** The loss and metrics of `options.data` averaged over samples, in eval mode without grad (Keras's `model.evaluate`). */
export async function evaluate(model: Module, options: EvaluateOptions): Promise<Logs> {
  const forward = options.forward ?? ((m: Module, x: unknown) => m.call(x) as Tensor);
  return evaluateImpl(model, options.data, lossFnOf(options.loss), resolveMetrics(options.metrics), forward, options.disposeBatches ?? !Array.isArray(options.data), '');
}

async function evaluateImpl(
  model: Module,
  source: BatchSource,
  loss: (o: Tensor, t: Tensor) => Tensor,
  metrics: [string, MetricFn][],
  forward: (m: Module, x: any) => Tensor,
  disposeBatches: boolean,
  prefix: string,
): Promise<Logs> {
  const wasTraining = model.training;
  model.eval();
  const means = new Means();
  try {
    for await (const batch of source as AsyncIterable<Batch>) {
      const [x, y] = unpack(batch);
      const size = isTensor(y) && y.ndim > 0 ? y.shape[0]! : 1;
      const [out, l] = noGrad(() =>
        torch.tidy(() => {
          const o = forward(model, x);
          return [o, loss(o, y)] as [Tensor, Tensor];
        }),
      );
      try {
        means.add('loss', (await l.data())[0]!, size);
        for (const [name, fn] of metrics) means.add(name, await metricNumber(metricNoGrad(fn, out, y)), size);
      } finally {
        out.dispose();
        l.dispose();
        if (disposeBatches) for (const t of collectTensors(batch, [])) t.dispose();
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return means.result(prefix);
}
