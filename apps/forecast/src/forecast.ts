/**
 * The forecasting pipeline: transform and scale the series (scaler fitted on the training part
 * only), cut it into sliding windows, train a GRU/LSTM to predict the next `horizon` steps,
 * and score it against the naive and seasonal-naive forecasts on the held-out tail.
 *
 * Windows are taken relative to their last input value (in log space these are log ratios),
 * so the network learns the shape of the next steps, not the level the series has reached:
 * a series that trends beyond anything seen in training (AirPassengers does) stays in range.
 */
import * as torch from 'torchlet';

type Tensor = torch.Tensor;
const { nn } = torch;

export type Cell = 'gru' | 'lstm';

export interface ModelConfig {
  cell: Cell;
  hidden: number;
  layers: number;
  /** Input window length (steps). */
  window: number;
  /** Steps predicted at once. */
  horizon: number;
  /** Dropout between stacked layers (training only). */
  dropout: number;
}

/** Input `[B, window, 1]` (relative, scaled) → the next `horizon` steps `[B, horizon]`. */
export class Forecaster extends nn.Module {
  rnn: torch.nn.GRU | torch.nn.LSTM;
  head: torch.nn.Linear;

  constructor(config: ModelConfig) {
    super();
    const options = { numLayers: config.layers, batchFirst: true, dropout: config.layers > 1 ? config.dropout : 0 };
    this.rnn = config.cell === 'gru' ? new nn.GRU(1, config.hidden, options) : new nn.LSTM(1, config.hidden, options);
    this.head = new nn.Linear(config.hidden, config.horizon);
  }

  override forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const [out] = this.rnn instanceof nn.GRU ? this.rnn.call(x) : this.rnn.call(x);
      return this.head.call(torch.select(out, 1, -1));
    });
  }
}

export type Transform = 'log' | 'none';

/** How raw values map to the model's space and back. */
export interface Scaling {
  transform: Transform;
  /** StandardScaler parameters fitted on the transformed training part. */
  mean: number;
  scale: number;
}

export function toModelSpace(values: readonly number[], s: Scaling): number[] {
  return values.map((v) => ((s.transform === 'log' ? Math.log(v) : v) - s.mean) / s.scale);
}

export function fromModelSpace(z: number, s: Scaling): number {
  const v = z * s.scale + s.mean;
  return s.transform === 'log' ? Math.exp(v) : v;
}

/** Fits the scaler on `train` (raw values) with the library's StandardScaler. */
export function fitScaling(train: readonly number[], transform: Transform): Scaling {
  const scaler = new torch.utils.data.StandardScaler();
  scaler.fit(transform === 'log' ? train.map(Math.log) : train);
  const scaling = { transform, mean: scaler.mean.item(), scale: scaler.scale.item() };
  scaler.dispose();
  return scaling;
}

/** Where the parts end: train is `[0, trainEnd)`, validation `[trainEnd, valEnd)`, test `[valEnd, length)`. */
export interface Split {
  trainEnd: number;
  valEnd: number;
  length: number;
}

/**
 * All windows of a scaled series, relative to each window's last input: `inputs [N, window, 1]`,
 * `targets [N, horizon]`, and `last [N]` (the value they are relative to). Window `i` reads
 * steps `[i, i + window)` and predicts `[i + window, i + window + horizon)`.
 */
export function relativeWindows(z: readonly number[], window: number, horizon: number): { inputs: Tensor; targets: Tensor; last: Tensor } {
  const ds = torch.utils.data.windowed(z, window, horizon);
  try {
    const { inputs, targets } = ds.all();
    return torch.tidy(() => {
      const last = torch.select(inputs, 1, -1);
      const column = torch.unsqueeze(last, 1);
      return {
        inputs: torch.unsqueeze(torch.sub(inputs, column), 2),
        targets: torch.sub(targets, column),
        last: torch.clone(last),
      };
    });
  } finally {
    ds.dispose();
  }
}

/** Window indices whose targets end inside `[from, to)` (train: end ≤ trainEnd; the others: the last target step in the part). */
export function windowsEndingIn(from: number, to: number, window: number, horizon: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + window + horizon <= to; i++) if (i + window + horizon - 1 >= from) out.push(i);
  return out;
}

/** Forecast origins in the test part: every step from which a whole horizon fits. */
export function testOrigins(split: Split, horizon: number): number[] {
  const out: number[] = [];
  for (let o = split.valEnd; o + horizon <= split.length; o++) out.push(o);
  return out;
}

export interface TrainOptions {
  epochs: number;
  lr: number;
  batch: number;
  seed: number;
  device: torch.DeviceName;
  /** Called after every epoch (progress, logging). */
  onEpoch?: (e: EpochStats) => void;
}

export interface EpochStats {
  epoch: number;
  train: number;
  val: number;
}

export interface TrainResult {
  history: EpochStats[];
  /** The epoch whose weights were kept (lowest validation loss). */
  bestEpoch: number;
  /** The shuffled order of the training windows in each epoch (the compare script replays it). */
  orders: number[][];
}

/**
 * Adam on the MSE of the relative, scaled targets, minibatches in a seeded shuffled order; keeps
 * the weights of the epoch with the lowest validation loss (training loss when there is no
 * validation part).
 */
export async function train(model: Forecaster, z: readonly number[], split: Split, config: ModelConfig, options: TrainOptions): Promise<TrainResult> {
  const { inputs, targets } = relativeWindows(z, config.window, config.horizon);
  const device = options.device;
  const idx = (list: number[]) => torch.tensor(Int32Array.from(list), { device });
  const trainIdx = windowsEndingIn(0, split.trainEnd, config.window, config.horizon);
  const valIdx = windowsEndingIn(split.trainEnd, split.valEnd, config.window, config.horizon);
  if (trainIdx.length === 0) {
    throw new RangeError(`the training part (${split.trainEnd} steps) is shorter than --window + --horizon (${config.window + config.horizon})`);
  }
  const X = inputs.to(device);
  const Y = targets.to(device);
  inputs.dispose();
  targets.dispose();
  const valX = valIdx.length ? torch.indexSelect(X, 0, idx(valIdx)) : null;
  const valY = valIdx.length ? torch.indexSelect(Y, 0, idx(valIdx)) : null;

  const generator = new torch.Generator().manualSeed(options.seed);
  const opt = new torch.optim.Adam(model.parameters(), { lr: options.lr });
  const history: EpochStats[] = [];
  const orders: number[][] = [];
  let best = { loss: Infinity, epoch: 0, state: null as Record<string, Tensor> | null };
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      model.train();
      const perm = torch.randperm(trainIdx.length, { generator });
      const order = Array.from(perm.dataSync() as Int32Array, (k) => trainIdx[k]!);
      perm.dispose();
      orders.push(order);
      // The epoch's loss is summed on the device and read once (WebGPU reads asynchronously).
      let sum = torch.zeros([], { device });
      for (let b = 0; b < order.length; b += options.batch) {
        const next = torch.tidy(() => {
          const rows = idx(order.slice(b, b + options.batch));
          opt.zeroGrad();
          const l = nn.functional.mseLoss(model.call(torch.indexSelect(X, 0, rows)), torch.indexSelect(Y, 0, rows));
          l.backward();
          opt.step();
          return torch.add(sum, torch.mul(l.detach(), rows.shape[0]!));
        });
        sum.dispose();
        sum = next;
      }
      const trainLoss = (await sum.itemAsync()) / order.length;
      sum.dispose();
      if (!Number.isFinite(trainLoss)) throw new RangeError(`the training loss became ${trainLoss} in epoch ${epoch}: try a lower --lr (now ${options.lr})`);
      const valLoss = valX && valY ? await evalLoss(model, valX, valY) : trainLoss;
      history.push({ epoch, train: trainLoss, val: valLoss });
      options.onEpoch?.(history[history.length - 1]!);
      if (valLoss < best.loss) {
        for (const t of Object.values(best.state ?? {})) t.dispose();
        best = { loss: valLoss, epoch, state: snapshot(model) };
      }
    }
  } finally {
    for (const t of [X, Y, valX, valY]) t?.dispose();
  }
  if (best.state) {
    model.loadStateDict(best.state);
    for (const t of Object.values(best.state)) t.dispose();
  }
  return { history, bestEpoch: best.epoch, orders };
}

async function evalLoss(model: Forecaster, x: Tensor, y: Tensor): Promise<number> {
  model.eval();
  const loss = torch.noGrad(() => torch.tidy(() => nn.functional.mseLoss(model.call(x), y)));
  try {
    return await loss.itemAsync();
  } finally {
    loss.dispose();
  }
}

/** Copies of the model's tensors (its state dict holds the live ones). */
function snapshot(model: Forecaster): Record<string, Tensor> {
  return torch.noGrad(() => Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, torch.clone(v)])));
}

/** The model's forecasts (original units) from each origin: `[origins][horizon]`. */
export async function predictFrom(model: Forecaster, z: readonly number[], origins: readonly number[], config: ModelConfig, scaling: Scaling, device: torch.DeviceName): Promise<number[][]> {
  if (origins.length === 0) return [];
  model.eval();
  const rows = origins.map((o) => {
    if (o < config.window) throw new RangeError(`a forecast from step ${o} needs ${config.window} steps of history (--window)`);
    const last = z[o - 1]!;
    return { last, input: z.slice(o - config.window, o).map((v) => v - last) };
  });
  const x = torch.tensor(Float32Array.from(rows.flatMap((r) => r.input)), { device, shape: [rows.length, config.window, 1] });
  const out = torch.noGrad(() => model.call(x));
  const flat = Array.from((await out.data()) as Float32Array);
  x.dispose();
  out.dispose();
  return rows.map((r, k) => flat.slice(k * config.horizon, (k + 1) * config.horizon).map((d) => fromModelSpace(r.last + d, scaling)));
}

/** The last value before each origin, repeated. */
export function naiveForecast(values: readonly number[], origins: readonly number[], horizon: number): number[][] {
  return origins.map((o) => Array.from({ length: horizon }, () => values[o - 1]!));
}

/** The value one season before each forecast step (from the last observed season). */
export function seasonalNaiveForecast(values: readonly number[], origins: readonly number[], horizon: number, season: number): number[][] {
  return origins.map((o) => Array.from({ length: horizon }, (_, h) => values[o + h - season * Math.ceil((h + 1) / season)]!));
}

export interface Scores {
  rmse: number;
  mae: number;
}

/** RMSE and MAE over every (origin, step) against the actual values. */
export function score(values: readonly number[], origins: readonly number[], forecasts: readonly (readonly number[])[]): Scores {
  let se = 0;
  let ae = 0;
  let n = 0;
  origins.forEach((o, k) =>
    forecasts[k]!.forEach((f, h) => {
      const e = f - values[o + h]!;
      se += e * e;
      ae += Math.abs(e);
      n++;
    }),
  );
  return { rmse: Math.sqrt(se / n), mae: ae / n };
}
