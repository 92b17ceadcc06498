/** The Cookbook's dataset statistics and normalization: `computeMeanStd`, `Normalize`, `compose`. */
import { ValueError, fmtShape, isTensor, normalizeDim, tensor, type Tensor } from '@torchlet/tensor';
import type { MapDataset } from '../dataset/dataset.js';

/** Options of `computeMeanStd`. */
export interface MeanStdOptions {
  /** The channel dim of one sample (default 0: `[C, H, W]` images, `[F]` feature vectors). */
  channelDim?: number;
  /** Bessel's correction of the std (default 1, `torch.std`'s default; 0 for the population std). */
  correction?: number;
  /** Which part of a sample is the input: an index into tuple samples or a key of object samples (default 0 / the sample itself). */
  field?: number | string;
}

function pick(sample: unknown, field: number | string | undefined, i: number): Tensor {
  let x = sample;
  if (!isTensor(x)) {
    const key = field ?? 0;
    x = Array.isArray(x) || (typeof x === 'object' && x !== null) ? (x as Record<string | number, unknown>)[key] : undefined;
  }
  if (!isTensor(x)) throw new ValueError(`computeMeanStd: sample ${i} has no tensor${field !== undefined ? ` at field ${JSON.stringify(field)}` : ''}`);
  return x;
}

/**
 * Per-channel mean and standard deviation over a whole dataset (every element of every
 * sample), in float64 with Chan et al.'s merge of per-sample moments, so a large dataset
 * loses no precision. Samples' tensors are disposed after reading (the loader's ownership
 * rule). Returns float32 tensors `[C]` for `Normalize`.
 *
 * ```ts
 * const { mean, std } = await computeMeanStd(trainSet);
 * const normalize = new Normalize(mean, std);
 * ```
 */
export async function computeMeanStd(
  dataset: MapDataset<unknown>,
  options: MeanStdOptions = {},
): Promise<{
  /** Per-channel mean. */
  mean: Tensor;
  /** Per-channel standard deviation. */
  std: Tensor;
}> {
  const n = dataset.length;
  if (n === 0) throw new ValueError('computeMeanStd: the dataset is empty');
  const correction = options.correction ?? 1;
  let C = -1;
  let count: Float64Array | undefined;
  let mean: Float64Array | undefined;
  let m2: Float64Array | undefined;
  let shape0: readonly number[] | undefined;
  for (let i = 0; i < n; i++) {
    const sample = await dataset.getItem(i);
    const x = pick(sample, options.field, i);
    try {
      if (x.ndim === 0) throw new ValueError(`computeMeanStd: sample ${i} is a 0-d tensor; samples need a channel dim`);
      const cd = normalizeDim(options.channelDim ?? 0, x.ndim, 'computeMeanStd');
      if (C < 0) {
        C = x.shape[cd]!;
        shape0 = x.shape;
        count = new Float64Array(C);
        mean = new Float64Array(C);
        m2 = new Float64Array(C);
      } else if (x.shape[cd] !== C) {
        throw new ValueError(`computeMeanStd: sample ${i} has ${x.shape[cd]} channels (shape ${fmtShape(x.shape)}), sample 0 has ${C} (shape ${fmtShape(shape0!)})`);
      }
      // CPU: a synchronous read copies only this sample's elements.
      const data = x.backend.canReadSync ? x.dataSync() : await x.data();
      let outer = 1;
      for (let d = 0; d < cd; d++) outer *= x.shape[d]!;
      let inner = 1;
      for (let d = cd + 1; d < x.ndim; d++) inner *= x.shape[d]!;
      for (let c = 0; c < C; c++) {
        // This sample's moments for channel c …
        let s = 0;
        for (let o = 0; o < outer; o++) {
          const base = (o * C + c) * inner;
          for (let k = 0; k < inner; k++) s += data[base + k]!;
        }
        const nb = outer * inner;
        if (nb === 0) continue;
        const mb = s / nb;
        let q = 0;
        for (let o = 0; o < outer; o++) {
          const base = (o * C + c) * inner;
          for (let k = 0; k < inner; k++) {
            const d = data[base + k]! - mb;
            q += d * d;
          }
        }
        // … merged into the running ones.
        const na = count![c]!;
        const nt = na + nb;
        const delta = mb - mean![c]!;
        mean![c] = mean![c]! + (delta * nb) / nt;
        m2![c] = m2![c]! + q + (delta * delta * na * nb) / nt;
        count![c] = nt;
      }
    } finally {
      // The loader's rule: samples' tensors are the caller's to dispose.
      disposeSample(sample);
    }
  }
  const std = new Float64Array(C);
  for (let c = 0; c < C; c++) std[c] = Math.sqrt(m2![c]! / Math.max(0, count![c]! - correction));
  return { mean: tensor(Float32Array.from(mean!)), std: tensor(Float32Array.from(std)) };
}

function disposeSample(sample: unknown): void {
  if (isTensor(sample)) sample.dispose();
  else if (Array.isArray(sample)) sample.forEach(disposeSample);
  else if (sample && typeof sample === 'object' && Object.getPrototypeOf(sample) === Object.prototype) Object.values(sample).forEach(disposeSample);
}

/** A float32 contiguous tensor of our own (the caller keeps theirs). */
function ownFloat(t: Tensor): Tensor {
  const f = t.float();
  try {
    return f.contiguous();
  } finally {
    f.dispose();
  }
}

/** A transform: a function of one value. */
export type Transform<A = Tensor, B = Tensor> = (x: A) => B;

/**
 * `torchvision.transforms.Normalize(mean, std)`: `(x − mean[c]) / std[c]` along the
 * channel dim. Default channel dim: −3 for inputs of 3+ dims (`[…, C, H, W]`, torchvision's
 * layout), −1 otherwise (`[…, F]` feature vectors); set `channelDim` to override.
 */
export class Normalize {
  /** Per-channel means. */
  readonly mean: Tensor;
  /** Per-channel standard deviations. */
  readonly std: Tensor;
  /** The channel dim (undefined: −3 for inputs of 3+ dims, else −1). */
  readonly channelDim: number | undefined;

  constructor(mean: Tensor | readonly number[], std: Tensor | readonly number[], options: { channelDim?: number } = {}) {
    this.mean = isTensor(mean) ? ownFloat(mean) : tensor(Float32Array.from(mean));
    this.std = isTensor(std) ? ownFloat(std) : tensor(Float32Array.from(std));
    if (this.mean.ndim !== 1 || this.std.ndim !== 1 || this.mean.shape[0] !== this.std.shape[0]) {
      throw new ValueError(`Normalize: mean and std must be 1-D of the same length (got ${fmtShape(this.mean.shape)} and ${fmtShape(this.std.shape)})`);
    }
    if (this.std.backend.canReadSync) {
      const s = this.std.dataSync();
      for (let i = 0; i < s.length; i++) {
        if (s[i] === 0) throw new ValueError(`std evaluated to zero after conversion to float32, leading to division by zero (channel ${i}).`);
      }
    }
    this.channelDim = options.channelDim;
  }

  /** The normalized input (a new tensor). */
  forward(x: Tensor): Tensor {
    const cd = normalizeDim(this.channelDim ?? (x.ndim >= 3 ? -3 : -1), x.ndim, 'Normalize');
    const C = this.mean.shape[0]!;
    if (x.shape[cd] !== C) throw new ValueError(`Normalize: expected ${C} channels in dim ${cd}, got shape ${fmtShape(x.shape)}`);
    const shape = x.shape.map((_, d) => (d === cd ? C : 1));
    const m = this.mean.reshape(shape);
    const s = this.std.reshape(shape);
    let centered: Tensor | undefined;
    try {
      centered = x.sub(m);
      return centered.div(s);
    } finally {
      m.dispose();
      s.dispose();
      centered?.dispose();
    }
  }

  /** `forward` as a plain function, for `compose` and dataset maps. */
  readonly call: Transform = (x) => this.forward(x);

  /** Frees the stored statistics. */
  dispose(): void {
    this.mean.dispose();
    this.std.dispose();
  }
}

/**
 * `transforms.Compose([...])`: applies the transforms in order. Intermediate tensors are
 * disposed (the input is left alone).
 */
export function compose(...transforms: Transform<any, any>[]): Transform<any, any> {
  return (x: unknown) => {
    let v = x;
    for (const t of transforms) {
      const next = t(v);
      if (v !== x && isTensor(v) && v !== next) v.dispose();
      v = next;
    }
    return v;
  };
}
