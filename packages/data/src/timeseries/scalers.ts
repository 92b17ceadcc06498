/**
 * Scalers that remember their parameters (sklearn's `StandardScaler` and `MinMaxScaler`):
 * `fit` on the training split, `transform` every split with the same numbers,
 * `inverseTransform` predictions back to the original units, and save them with
 * `stateDict()`. Statistics are per feature: over dim 0 of `[N, F]` data (a `[N]` series is
 * one feature). All arithmetic is tensor ops, so it runs on any device.
 */
import { ValueError, fmtShape, isTensor, tensor, tidy, keep, type Tensor } from '@torchlet/tensor';

type Data = Tensor | ArrayLike<number>;

function asTensor(x: Data): { t: Tensor; owned: boolean } {
  return isTensor(x) ? { t: x, owned: false } : { t: tensor(Float32Array.from(x)), owned: true };
}

function withData<R>(x: Data, fn: (t: Tensor) => R): R {
  const { t, owned } = asTensor(x);
  try {
    return fn(t);
  } finally {
    if (owned) t.dispose();
  }
}

/** Replaces zeros (constant features) by 1, as sklearn's `_handle_zeros_in_scale`. */
function safeScale(scale: Tensor): Tensor {
  return tidy(() => {
    const zero = scale.eq(0);
    return scale.add(zero.float());
  });
}

/** Parameters as tensors (`stateDict()`); numbers or arrays are accepted by `loadStateDict`. */
export type ScalerState = Record<string, Tensor>;

abstract class Scaler {
  protected params: Map<string, Tensor> = new Map();
  /** Feature shape the scaler was fitted on (`[]` for a 1-D series, `[F]` otherwise). */
  protected featureShape: number[] | null = null;
  protected abstract readonly name: string;
  protected abstract readonly keys: readonly string[];

  protected abstract computeParams(x: Tensor): Record<string, Tensor>;
  protected abstract apply(x: Tensor): Tensor;
  protected abstract invert(x: Tensor): Tensor;

  /** Whether `fit` (or `loadStateDict`) has run. */
  get fitted(): boolean {
    return this.featureShape !== null;
  }

  /** Learns the parameters from `x` (`[N]` or `[N, F, …]`); returns this scaler. */
  fit(x: Data): this {
    withData(x, (t) => {
      if (t.ndim === 0 || t.shape[0] === 0) throw new ValueError(`${this.name}.fit: expected at least one sample (got shape ${fmtShape(t.shape)})`);
      const p = tidy(() => {
        const f = t.dtype === 'float64' ? t : t.float();
        return this.computeParams(f);
      });
      this.dispose();
      for (const k of this.keys) this.params.set(k, p[k]!);
      this.featureShape = t.shape.slice(1);
    });
    return this;
  }

  #check(t: Tensor, op: string): void {
    if (!this.featureShape) throw new ValueError(`${this.name}.${op}: this scaler is not fitted yet; call fit(trainData) first`);
    const fs = t.shape.slice(t.ndim - this.featureShape.length);
    if (t.ndim < this.featureShape.length || fs.some((n, i) => n !== this.featureShape![i])) {
      throw new ValueError(`${this.name}.${op}: expected trailing feature shape ${fmtShape(this.featureShape)}, got ${fmtShape(t.shape)}`);
    }
  }

  /** Scaled copy of `x` (any leading dims; trailing dims must match the fitted features). */
  transform(x: Data): Tensor {
    return withData(x, (t) => {
      this.#check(t, 'transform');
      return tidy(() => this.apply(t.dtype === 'float64' ? t : t.float()));
    });
  }

  /** Back to the original units. */
  inverseTransform(x: Data): Tensor {
    return withData(x, (t) => {
      this.#check(t, 'inverseTransform');
      return tidy(() => this.invert(t.dtype === 'float64' ? t : t.float()));
    });
  }

  /** `fit(x)` then `transform(x)`. */
  fitTransform(x: Data): Tensor {
    return this.fit(x).transform(x);
  }

  protected param(key: string): Tensor {
    return this.params.get(key)!;
  }

  /** Copies of the parameters (the caller owns them), e.g. to save with a checkpoint. */
  stateDict(): ScalerState {
    if (!this.featureShape) throw new ValueError(`${this.name}.stateDict: this scaler is not fitted yet`);
    const out: ScalerState = {};
    for (const k of this.keys) out[k] = this.param(k).clone();
    return out;
  }

  /** Restores parameters saved by `stateDict` (tensors or number arrays). */
  loadStateDict(state: Record<string, Tensor | ArrayLike<number> | number>): void {
    const next = new Map<string, Tensor>();
    try {
      for (const k of this.keys) {
        const v = state[k];
        if (v === undefined) throw new ValueError(`${this.name}.loadStateDict: missing key '${k}' (expected ${this.keys.join(', ')})`);
        next.set(k, isTensor(v) ? v.clone() : typeof v === 'number' ? tensor(v) : tensor(Float32Array.from(v)));
      }
    } catch (err) {
      for (const t of next.values()) t.dispose();
      throw err;
    }
    const shape = next.get(this.keys[0]!)!.shape;
    for (const [k, t] of next) {
      if (t.ndim !== shape.length || t.shape.some((n, i) => n !== shape[i])) {
        for (const u of next.values()) u.dispose();
        throw new ValueError(`${this.name}.loadStateDict: '${k}' has shape ${fmtShape(t.shape)}, '${this.keys[0]}' has ${fmtShape(shape)}`);
      }
    }
    this.dispose();
    this.params = next;
    this.featureShape = [...shape];
  }

  /** Frees the parameters. */
  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    this.params.clear();
    this.featureShape = null;
  }
}

/**
 * `sklearn.preprocessing.StandardScaler`: `(x − mean) / scale` with `scale` the population
 * std (ddof 0) per feature, 1 for constant features.
 *
 * ```ts
 * const scaler = new StandardScaler().fit(train);
 * const z = scaler.transform(test);
 * const back = scaler.inverseTransform(model.forward(z));
 * ```
 */
export class StandardScaler extends Scaler {
  protected readonly name = 'StandardScaler';
  protected readonly keys = ['mean', 'scale'] as const;
  /** Subtract the mean (default true). */
  readonly withMean: boolean;
  /** Divide by the standard deviation (default true). */
  readonly withStd: boolean;

  constructor(options: { withMean?: boolean; withStd?: boolean } = {}) {
    super();
    this.withMean = options.withMean ?? true;
    this.withStd = options.withStd ?? true;
  }

  /** Per-feature mean (0s with `withMean: false`). */
  get mean(): Tensor {
    return this.param('mean');
  }

  /** Per-feature scale (1s with `withStd: false`). */
  get scale(): Tensor {
    return this.param('scale');
  }

  protected computeParams(x: Tensor): Record<string, Tensor> {
    const mean = x.mean(0);
    const std = x.std(0, { correction: 0 });
    const m = this.withMean ? mean : mean.mul(0);
    const s = this.withStd ? safeScale(std) : std.mul(0).add(1);
    return { mean: keep(m), scale: keep(s) };
  }

  protected apply(x: Tensor): Tensor {
    return x.sub(this.mean).div(this.scale);
  }

  protected invert(x: Tensor): Tensor {
    return x.mul(this.scale).add(this.mean);
  }
}

/**
 * `sklearn.preprocessing.MinMaxScaler(feature_range=(0, 1))`: `x · scale + min` mapping each
 * feature's fitted [min, max] onto `featureRange` (constant features get scale 1 /
 * (range), sklearn's rule).
 */
export class MinMaxScaler extends Scaler {
  protected readonly name = 'MinMaxScaler';
  protected readonly keys = ['scale', 'min', 'dataMin', 'dataMax'] as const;
  /** The target range of the scaled features (default [0, 1]). */
  readonly featureRange: readonly [number, number];

  constructor(options: { featureRange?: readonly [number, number] } = {}) {
    super();
    this.featureRange = options.featureRange ?? [0, 1];
    if (!(this.featureRange[0] < this.featureRange[1])) {
      throw new ValueError(`Minimum of desired feature range must be smaller than maximum. Got (${this.featureRange[0]}, ${this.featureRange[1]}).`);
    }
  }

  /** Per-feature `scale_`. */
  get scale(): Tensor {
    return this.param('scale');
  }

  /** Per-feature `min_` (the offset). */
  get min(): Tensor {
    return this.param('min');
  }

  /** Per-feature minimum seen in `fit` (sklearn's `data_min_`). */
  get dataMin(): Tensor {
    return this.param('dataMin');
  }

  /** Per-feature maximum seen in `fit` (sklearn's `data_max_`). */
  get dataMax(): Tensor {
    return this.param('dataMax');
  }

  protected computeParams(x: Tensor): Record<string, Tensor> {
    const [lo, hi] = this.featureRange;
    const dataMin = x.amin(0);
    const dataMax = x.amax(0);
    const range = safeScale(dataMax.sub(dataMin));
    const scale = range.reciprocal().mul(hi - lo);
    const min = dataMin.mul(scale).neg().add(lo);
    return { scale: keep(scale), min: keep(min), dataMin: keep(dataMin), dataMax: keep(dataMax) };
  }

  protected apply(x: Tensor): Tensor {
    return x.mul(this.scale).add(this.min);
  }

  protected invert(x: Tensor): Tensor {
    return x.sub(this.min).div(this.scale);
  }
}
