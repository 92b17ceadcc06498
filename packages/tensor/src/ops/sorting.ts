/**
 * Sorting: sort (a registered primitive with two outputs), argsort, topk, unique.
 *
 * `sort` outputs `[values, indices]`; values are differentiable (the derivative scatters the
 * gradient back through `indices`), indices (int32) are not.
 */
import { DTypeError, DeviceError, IndexError } from '../core/errors.js';
import { allocTensor, fromHost } from '../core/factory.js';
import { normalizeDim, numelOf } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { dispatch } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import { contiguous } from './conversion.js';
import { indexSelect, withTemps } from './indexing.js';
import { movedim, narrow } from './views.js';

export interface SortAttrs {
  /** Normalised (0 for a 0-d input). */
  dim: number;
  descending: boolean;
}

/** inputs [x] → [values, indices(int32)]; stable; NaN sorts last (first when descending). */
export const sortDef = registerOp<SortAttrs>({
  name: 'sort',
  kind: 'primitive',
  differentiable: true,
  forward: ([x], { dim, descending }) => {
    if (x!.dtype === 'float16') throw new DTypeError('sort: float16 is not supported');
    const values = allocTensor(x!.shape, x!.dtype, x!.device);
    const indices = allocTensor(x!.shape, 'int32', x!.device);
    if (values.numel() > 0) {
      try {
        x!.backend.sort(x!.kernelView, dim, descending, values.kernelView, indices.kernelView);
      } catch (err) {
        values.dispose();
        indices.dispose();
        throw err;
      }
    }
    return [values, indices];
  },
});

/** Options of `sort` and `argsort`. */
export interface SortOptions {
  /** The dim to sort along (default -1, the last). */
  dim?: number;
  /** Largest first (default false). */
  descending?: boolean;
  /** Accepted for PyTorch compatibility: the sort is always stable. */
  stable?: boolean;
}

export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

/** `torch.sort(x, dim=-1, descending=False, stable=False)` → `{ values, indices }` (always stable). */
export function sort(x: Tensor, options: SortOptions = {}): ValuesIndices {
  const dim = normalizeDim(options.dim ?? -1, x.ndim, 'sort');
  const [values, indices] = dispatch(sortDef, [x], { dim, descending: options.descending ?? false }) as Tensor[];
  return { values: values!, indices: indices! };
}

/** `torch.argsort(x, dim=-1, descending=False, stable=False)`: the int32 indices that sort `x`. */
export function argsort(x: Tensor, options: SortOptions = {}): Tensor {
  const { values, indices } = sort(x, options);
  values.dispose();
  return indices;
}

/** `torch.msort(x)`: sorted along dim 0. */
export function msort(x: Tensor): Tensor {
  const { values, indices } = sort(x, { dim: 0 });
  indices.dispose();
  return values;
}

/** Options of `topk`. */
export interface TopkOptions {
  /** The dim to select along (default -1, the last). */
  dim?: number;
  /** The k largest (default true) or the k smallest. */
  largest?: boolean;
  /** Return them in sorted order (default true). */
  sorted?: boolean;
}

/** `torch.topk(x, k, dim=-1, largest=True, sorted=True)` → `{ values, indices }`. */
export function topk(x: Tensor, k: number, options: TopkOptions = {}): ValuesIndices {
  const dim = normalizeDim(options.dim ?? -1, x.ndim, 'topk');
  const n = x.ndim === 0 ? 1 : x.shape[dim]!;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new IndexError(`topk(): selected index k out of range (k = ${k}, size ${n})`);
  const largest = options.largest ?? true;
  return withTemps((tmp) => {
    const sorted = sort(x, { dim, descending: largest });
    tmp(sorted.values);
    tmp(sorted.indices);
    if (x.ndim === 0) return { values: contiguous(sorted.values), indices: contiguous(sorted.indices) };
    return {
      values: contiguous(tmp(narrow(sorted.values, dim, 0, k))),
      indices: contiguous(tmp(narrow(sorted.indices, dim, 0, k))),
    };
  });
}

/** `torch.kthvalue(x, k, dim=-1)`: the k-th smallest (1-based) along `dim`, without that dim. */
export function kthvalue(x: Tensor, k: number, options: { dim?: number; keepdim?: boolean } = {}): ValuesIndices {
  const dim = normalizeDim(options.dim ?? -1, x.ndim, 'kthvalue');
  const n = x.ndim === 0 ? 1 : x.shape[dim]!;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new IndexError(`kthvalue(): selected number k out of range for dimension ${dim}`);
  return withTemps((tmp) => {
    const s = sort(x, { dim });
    tmp(s.values);
    tmp(s.indices);
    if (x.ndim === 0) return { values: contiguous(s.values), indices: contiguous(s.indices) };
    const pick = (t: Tensor): Tensor => {
      const one = tmp(narrow(t, dim, k - 1, 1));
      return options.keepdim ? contiguous(one) : contiguous(tmp(one.squeeze(dim)));
    };
    return { values: pick(s.values), indices: pick(s.indices) };
  });
}

// ---- unique -----------------------------------------------------------------------------------------------------

/** Options of `unique` / `uniqueAsync`. */
export interface UniqueOptions {
  /** Accepted for compatibility: results are always sorted. */
  sorted?: boolean;
  /** Also return, for each input element, its index in `values`. */
  returnInverse?: boolean;
  /** Also return how many times each unique value occurs. */
  returnCounts?: boolean;
  /** Unique slices along this dim instead of unique elements. */
  dim?: number;
}

/** What `unique` returns when `returnInverse` or `returnCounts` is set. */
export interface UniqueResult {
  /** The sorted unique elements (or slices along `dim`). */
  values: Tensor;
  /** For each input element (or slice along `dim`), its position in `values`. */
  inverse?: Tensor;
  /** How many times each unique value occurs. */
  counts?: Tensor;
}

/** Sorted unique rows of a [rows, width] host matrix: first-occurrence row per group, inverse, counts. */
function uniqueRows(host: ArrayLike<number>, rows: number, width: number): { firsts: Int32Array; inverse: Int32Array; counts: Int32Array } {
  const order = Array.from({ length: rows }, (_, i) => i);
  const cmp = (a: number, b: number): number => {
    for (let j = 0; j < width; j++) {
      const x = host[a * width + j]!;
      const y = host[b * width + j]!;
      if (x < y || (y !== y && x === x)) return -1;
      if (x > y || (x !== x && y === y)) return 1;
    }
    return 0;
  };
  order.sort((a, b) => cmp(a, b) || a - b);
  const firsts: number[] = [];
  const counts: number[] = [];
  const inverse = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const r = order[i]!;
    if (i === 0 || cmp(order[i - 1]!, r) !== 0) {
      firsts.push(r);
      counts.push(0);
    }
    inverse[r] = firsts.length - 1;
    counts[counts.length - 1]!++;
  }
  return { firsts: Int32Array.from(firsts), inverse, counts: Int32Array.from(counts) };
}

function uniqueFrom(x: Tensor, host: ArrayLike<number>, options: UniqueOptions): Tensor | UniqueResult {
  return withTemps((tmp) => {
    let values: Tensor;
    let inverseShape: number[];
    let u: ReturnType<typeof uniqueRows>;
    if (options.dim === undefined) {
      u = uniqueRows(host, x.numel(), 1);
      const flat = tmp(x.reshape(-1));
      values = indexSelect(flat, 0, tmp(fromHost(u.firsts, [u.firsts.length], 'int32', x.device)));
      inverseShape = [...x.shape];
    } else {
      const dim = normalizeDim(options.dim, x.ndim, 'unique');
      const rows = x.shape[dim]!;
      u = uniqueRows(host, rows, rows === 0 ? 0 : numelOf(x.shape) / rows);
      values = indexSelect(x, dim, tmp(fromHost(u.firsts, [u.firsts.length], 'int32', x.device)));
      inverseShape = [rows];
    }
    if (!options.returnInverse && !options.returnCounts) return values;
    const result: UniqueResult = { values };
    if (options.returnInverse) result.inverse = fromHost(u.inverse, inverseShape, 'int32', x.device);
    if (options.returnCounts) result.counts = fromHost(u.counts, [u.counts.length], 'int32', x.device);
    return result;
  });
}

/** Host data of `x` laid out for `uniqueRows` (slices along `dim` as rows). */
function uniqueSource(x: Tensor, options: UniqueOptions): Tensor {
  if (options.dim === undefined) return contiguous(x);
  const dim = normalizeDim(options.dim, x.ndim, 'unique');
  return withTemps((tmp) => contiguous(tmp(movedim(x, dim, 0))));
}

type Unique = {
  (x: Tensor, options?: UniqueOptions & { returnInverse?: false; returnCounts?: false }): Tensor;
  (x: Tensor, options: UniqueOptions): UniqueResult;
};

/**
 * `torch.unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None)`: the
 * sorted unique elements (or slices along `dim`); with `returnInverse`/`returnCounts` an
 * object `{ values, inverse, counts }`. Reads synchronously (CPU); elsewhere use `uniqueAsync`.
 */
export const unique: Unique = ((x: Tensor, options: UniqueOptions = {}) => {
  if (!x.backend.canReadSync) {
    throw new DeviceError(`unique(): tensors on '${x.device}' cannot be read synchronously; use \`await uniqueAsync(...)\``);
  }
  const src = uniqueSource(x, options);
  try {
    return uniqueFrom(x, src.dataSync(), options);
  } finally {
    src.dispose();
  }
}) as Unique;

type UniqueAsync = {
  (x: Tensor, options?: UniqueOptions & { returnInverse?: false; returnCounts?: false }): Promise<Tensor>;
  (x: Tensor, options: UniqueOptions): Promise<UniqueResult>;
};

/** `unique` on every device: reads the values asynchronously, then returns what `unique` would. */
export const uniqueAsync: UniqueAsync = (async (x: Tensor, options: UniqueOptions = {}) => {
  const src = uniqueSource(x, options);
  try {
    return uniqueFrom(x, await src.data(), options);
  } finally {
    src.dispose();
  }
}) as UniqueAsync;

// ---- Tensor methods ---------------------------------------------------------------------------------------------

declare module '../core/tensor.js' {
  interface Tensor {
    /** `x.sort(dim=-1, descending=False, stable=…)`: `{ values, indices }`, stable; NaN sorts last (first when descending). */
    sort(options?: SortOptions): ValuesIndices;
    /** `x.argsort(dim=-1, descending=False)`: the int32 indices that sort `x` along `dim`. */
    argsort(options?: SortOptions): Tensor;
    /** `x.msort()`: `x` sorted along dim 0. */
    msort(): Tensor;
    /** `x.topk(k, dim=-1, largest=True, sorted=True)`: `{ values, indices }` of the k largest (or smallest) along `dim`. */
    topk(k: number, options?: TopkOptions): ValuesIndices;
    /** `x.kthvalue(k, dim=-1, keepdim=False)`: `{ values, indices }` of the k-th smallest element (1-based) along `dim`. */
    kthvalue(k: number, options?: { dim?: number; keepdim?: boolean }): ValuesIndices;
    /** `x.unique(sorted=True, dim=None)`: the sorted unique elements (CPU; elsewhere `uniqueAsync`). */
    unique(options?: UniqueOptions & { returnInverse?: false; returnCounts?: false }): Tensor;
    /** `x.unique(return_inverse=…, return_counts=…)`: `{ values, inverse, counts }`. */
    unique(options: UniqueOptions): UniqueResult;
  }
}

/** Puts the sorting methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installSortingMethods(): void {
  Tensor.prototype.sort = function (options) {
    return sort(this, options);
  };
  Tensor.prototype.argsort = function (options) {
    return argsort(this, options);
  };
  Tensor.prototype.msort = function () {
    return msort(this);
  };
  Tensor.prototype.topk = function (k, options) {
    return topk(this, k, options);
  };
  Tensor.prototype.kthvalue = function (k, options) {
    return kthvalue(this, k, options);
  };
  (Tensor.prototype as unknown as Record<string, unknown>).unique = function (this: Tensor, options?: UniqueOptions) {
    return unique(this, options ?? {});
  };
}
