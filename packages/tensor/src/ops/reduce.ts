/**
 * Reductions and scans: sum, prod, mean, var/std, max/min (with and without `dim`),
 * amax/amin, argmax/argmin, logsumexp, cumsum/cumprod/cummax/cummin, all/any, norm and
 * countNonzero, with PyTorch's dtype rules. Primitives run `backend.reduce`, `argReduce`
 * and `scan`; the rest is composed from dispatched ops. Derivatives of the primitives live
 * in @torchlet/autograd's table under the same names.
 */
import { contiguousStrides, type DType, type ReduceOp, type TensorView } from '@torchlet/backend';
import { DTypeError, IndexError, RuntimeError, ValueError, fmtShape } from '../core/errors.js';
import { allocTensor, viewOf } from '../core/factory.js';
import { isFloatDType, toFloatDType } from '../core/promotion.js';
import { normalizeDim, normalizeDims, type Shape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { call1, dispatch } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import { castKernel, withCast } from './common.js';
import { cast } from './conversion.js';
import { abs, div, exp, log, maximum, minimum, ne, pow, sqrt, square, sub, where, isinf, add } from './elementwise.js';

// ---- argument helpers -------------------------------------------------------------------------

/** One dim or a list of dims, as PyTorch's `dim=` takes. */
export type Dims = number | readonly number[];

/** Options of the reductions (`torch.amax(x, dim, keepdim)` …). */
export interface ReduceOptions {
  /** Dims to reduce; all when omitted (an empty list also means all, as in PyTorch). */
  dim?: Dims;
  /** Keep the reduced dims with size 1 (default false). */
  keepdim?: boolean;
}

/** Options of `sum`, `prod` and `mean`. */
export interface SumOptions extends ReduceOptions {
  /** Cast the input to this dtype before reducing (`torch.sum(x, dtype=…)`). */
  dtype?: DType;
}

/** `fn(x, dim, options)` or `fn(x, options)`: the options with `dim` filled in. */
function merge<O extends { dim?: unknown }>(dimOrOptions: O['dim'] | O | undefined, options: Omit<O, 'dim'> | undefined): O {
  if (dimOrOptions === undefined || dimOrOptions === null) return { ...(options ?? {}) } as O;
  if (typeof dimOrOptions === 'number' || Array.isArray(dimOrOptions)) return { ...(options ?? {}), dim: dimOrOptions } as O;
  return { ...(dimOrOptions as O), ...(options ?? {}) };
}

/** Sorted unique dims to reduce; `undefined` or `[]` means all of them. */
function reduceDims(dim: Dims | undefined, ndim: number, op: string): number[] {
  if (dim !== undefined && typeof dim !== 'number' && dim.length === 0) return normalizeDims(undefined, ndim, op);
  return normalizeDims(dim, ndim, op);
}

/** `shape` with the reduced dims set to 1. */
function keptShape(shape: Shape, dims: readonly number[]): number[] {
  return shape.map((n, d) => (dims.includes(d) ? 1 : n));
}

/** The result shape of a reduction. */
export function reducedShape(shape: Shape, dims: readonly number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, dims) : shape.filter((_, d) => !dims.includes(d));
}

/** A contiguous view of `out`'s buffer in the keep-dim shape the backend writes. */
function asShape(out: Tensor, shape: Shape): TensorView {
  return { ...out.kernelView, shape, strides: contiguousStrides(shape) };
}

/** A fresh tensor with another shape over the same contiguous elements (the input is consumed). */
function reshapeFresh(t: Tensor, shape: Shape): Tensor {
  const r = viewOf(t, shape, contiguousStrides(shape), t.offset);
  t.dispose();
  return r;
}

/** The number of elements a reduction over `dims` folds into each result. */
function reducedCount(shape: Shape, dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= shape[d]!;
  return n;
}

/** PyTorch's short dtype names, for messages copied from PyTorch. */
export function torchTypeName(d: DType): string {
  return { float32: 'Float', float64: 'Double', float16: 'Half', int32: 'Int', bool: 'Bool' }[d];
}

/** max/min/argmax… have no identity: reducing an empty dim is an error, as in PyTorch. */
function checkNonEmpty(op: string, x: Tensor, dims: readonly number[], all: boolean): void {
  if (all && x.numel() === 0) {
    throw new IndexError(
      `${op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`,
    );
  }
  for (const d of dims) {
    if (x.shape[d] === 0) throw new IndexError(`${op}(): Expected reduction dim ${d} to have non-zero size.`);
  }
}

/** A backend message without its leading `op: `. */
function stripOp(message: string): string {
  return message.replace(/^\w+: /, '');
}

/** Runs a backend reduction into a fresh tensor of `dtype`; an int32 overflow becomes a RuntimeError naming `op`. */
function reduceInto(op: string, kind: ReduceOp, x: Tensor, dims: readonly number[], keepdim: boolean, dtype: DType): Tensor {
  const out = allocTensor(reducedShape(x.shape, dims, keepdim), dtype, x.device);
  try {
    if (out.numel() > 0) x.backend.reduce(kind, x.kernelView, dims, asShape(out, keptShape(x.shape, dims)));
  } catch (err) {
    out.dispose();
    if (err instanceof RangeError) throw new RuntimeError(`${op}: ${stripOp(err.message)} (input ${fmtShape(x.shape)}, ${x.dtype})`);
    throw err;
  }
  return out;
}

// ---- sum / prod ---------------------------------------------------------------------------------

export interface ReduceAttrs {
  dims: number[];
  keepdim: boolean;
}

export interface SumAttrs extends ReduceAttrs {
  /** The dtype the input is cast to and the result has. */
  dtype: DType;
}

function sumLikeDef(name: 'sum' | 'prod') {
  return registerOp<SumAttrs>({
    name,
    kind: 'primitive',
    differentiable: true,
    forward: ([x], { dims, keepdim, dtype }) =>
      withCast(x!, dtype, (xc) => reduceInto(name, name, xc, dims, keepdim, dtype)),
  });
}

const sumDef = sumLikeDef('sum');
const prodDef = sumLikeDef('prod');

/** Integer and bool sums give int32 (PyTorch's int64 is int32 here). */
function sumDType(x: Tensor, dtype: DType | undefined): DType {
  return dtype ?? (isFloatDType(x.dtype) ? x.dtype : 'int32');
}

/**
 * `torch.sum(x, dim=None, keepdim=False, dtype=None)`. Integer and bool inputs sum to int32;
 * a sum that overflows int32 throws a RuntimeError.
 */
export function sum(x: Tensor, dimOrOptions?: Dims | SumOptions, options?: Omit<SumOptions, 'dim'>): Tensor {
  const o = merge<SumOptions>(dimOrOptions, options);
  const dims = reduceDims(o.dim, x.ndim, 'sum');
  return call1(sumDef, [x], { dims, keepdim: o.keepdim ?? false, dtype: sumDType(x, o.dtype) });
}

/** `torch.prod(x, dim=None, keepdim=False, dtype=None)`; integer products overflow-check like `sum`. */
export function prod(x: Tensor, dimOrOptions?: Dims | SumOptions, options?: Omit<SumOptions, 'dim'>): Tensor {
  const o = merge<SumOptions>(dimOrOptions, options);
  const dims = reduceDims(o.dim, x.ndim, 'prod');
  return call1(prodDef, [x], { dims, keepdim: o.keepdim ?? false, dtype: sumDType(x, o.dtype) });
}

// ---- mean / var / std (composites) ----------------------------------------------------------------

const meanDef = registerOp<SumAttrs>({
  name: 'mean',
  kind: 'composite',
  differentiable: true,
  forward: ([x], { dims, keepdim, dtype }) => {
    const s = sum(x!, { dim: dims, keepdim, dtype });
    try {
      return div(s, reducedCount(x!.shape, dims));
    } finally {
      s.dispose();
    }
  },
});

/** `torch.mean(x, dim=None, keepdim=False, dtype=None)`: floating inputs only, as in PyTorch. */
export function mean(x: Tensor, dimOrOptions?: Dims | SumOptions, options?: Omit<SumOptions, 'dim'>): Tensor {
  const o = merge<SumOptions>(dimOrOptions, options);
  const dtype = o.dtype ?? x.dtype;
  if (!isFloatDType(dtype)) {
    throw new DTypeError(
      'mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. ' +
        `Got: ${torchTypeName(dtype)}`,
    );
  }
  const dims = reduceDims(o.dim, x.ndim, 'mean');
  return call1(meanDef, [x], { dims, keepdim: o.keepdim ?? false, dtype });
}

/** Options of `var` and `std`. */
export interface VarOptions extends ReduceOptions {
  /** Bessel's correction: the divisor is `N - correction` (default 1). */
  correction?: number;
  /** Legacy form: `unbiased: false` is `correction: 0`. */
  unbiased?: boolean;
}

export interface VarAttrs extends ReduceAttrs {
  correction: number;
}

const varDef = registerOp<VarAttrs>({
  name: 'var',
  kind: 'composite',
  differentiable: true,
  forward: ([x], attrs) => varForward(x!, attrs),
});

const stdDef = registerOp<VarAttrs>({
  name: 'std',
  kind: 'composite',
  differentiable: true,
  forward: ([x], attrs) => {
    const v = call1(varDef, [x!], attrs);
    try {
      return sqrt(v);
    } finally {
      v.dispose();
    }
  },
});

function varForward(x: Tensor, { dims, keepdim, correction }: VarAttrs): Tensor {
  const m = mean(x, { dim: dims, keepdim: true });
  const d = sub(x, m);
  m.dispose();
  const sq = square(d);
  d.dispose();
  const s = sum(sq, { dim: dims, keepdim });
  sq.dispose();
  try {
    return div(s, Math.max(0, reducedCount(x.shape, dims) - correction));
  } finally {
    s.dispose();
  }
}

function varAttrs(x: Tensor, op: string, dimOrOptions: Dims | VarOptions | undefined, options: Omit<VarOptions, 'dim'> | undefined): VarAttrs {
  const o = merge<VarOptions>(dimOrOptions, options);
  if (!isFloatDType(x.dtype)) throw new DTypeError(`${op}: std and var only support floating point and complex dtypes (got ${x.dtype})`);
  if (o.correction !== undefined && o.unbiased !== undefined) throw new ValueError(`${op}: pass either correction or unbiased, not both`);
  const correction = o.correction ?? (o.unbiased === false ? 0 : 1);
  return { dims: reduceDims(o.dim, x.ndim, op), keepdim: o.keepdim ?? false, correction };
}

/** `torch.var(x, dim=None, correction=1, keepdim=False)`: divisor `N - correction`. */
export function variance(x: Tensor, dimOrOptions?: Dims | VarOptions, options?: Omit<VarOptions, 'dim'>): Tensor {
  return call1(varDef, [x], varAttrs(x, 'var', dimOrOptions, options));
}

/** `torch.std(x, dim=None, correction=1, keepdim=False)`. */
export function std(x: Tensor, dimOrOptions?: Dims | VarOptions, options?: Omit<VarOptions, 'dim'>): Tensor {
  return call1(stdDef, [x], varAttrs(x, 'std', dimOrOptions, options));
}

export { variance as var };

// ---- amax / amin / max / min ------------------------------------------------------------------------

function extremumDef(name: 'amax' | 'amin') {
  const kind: ReduceOp = name === 'amax' ? 'max' : 'min';
  return registerOp<ReduceAttrs>({
    name,
    kind: 'primitive',
    differentiable: true,
    forward: ([x], { dims, keepdim }) => {
      checkNonEmpty(name, x!, dims, false);
      if (x!.dtype !== 'bool') return reduceInto(name, kind, x!, dims, keepdim, x!.dtype);
      return withCast(x!, 'int32', (xi) => {
        const r = reduceInto(name, kind, xi, dims, keepdim, 'int32');
        try {
          return castKernel(r, 'bool');
        } finally {
          r.dispose();
        }
      });
    },
  });
}

const amaxDef = extremumDef('amax');
const aminDef = extremumDef('amin');

/** `torch.amax(x, dim=(), keepdim=False)`: the largest value over `dim` (all dims when omitted). Gradient is split evenly among ties. */
export function amax(x: Tensor, dimOrOptions?: Dims | ReduceOptions, options?: Omit<ReduceOptions, 'dim'>): Tensor {
  const o = merge<ReduceOptions>(dimOrOptions, options);
  return call1(amaxDef, [x], { dims: reduceDims(o.dim, x.ndim, 'amax'), keepdim: o.keepdim ?? false });
}

/** `torch.amin(x, dim=(), keepdim=False)`. */
export function amin(x: Tensor, dimOrOptions?: Dims | ReduceOptions, options?: Omit<ReduceOptions, 'dim'>): Tensor {
  const o = merge<ReduceOptions>(dimOrOptions, options);
  return call1(aminDef, [x], { dims: reduceDims(o.dim, x.ndim, 'amin'), keepdim: o.keepdim ?? false });
}

/** `torch.max(x, dim)` / `torch.min(x, dim)`: values and the index of the first extreme. */
export interface ValuesIndices {
  /** The extreme values. */
  values: Tensor;
  /** Their indices along the dim (int32). */
  indices: Tensor;
}

export interface DimAttrs {
  dim: number;
  keepdim: boolean;
}

/** Index of the first max (min) along `dim` into a fresh int32 tensor (kernel-level). */
function argAlong(op: 'argmax' | 'argmin', x: Tensor, dim: number, keepdim: boolean): Tensor {
  const xk = x.ndim === 0 ? { ...x.kernelView, shape: [1], strides: [1] } : x.kernelView;
  const xs = x.ndim === 0 ? [1] : x.shape;
  const out = allocTensor(reducedShape(x.shape, [dim], keepdim), 'int32', x.device);
  if (out.numel() > 0) x.backend.argReduce(op, xk, dim, asShape(out, keptShape(xs, [dim])));
  return out;
}

function extremumDimDef(name: 'maxDim' | 'minDim') {
  const kind: ReduceOp = name === 'maxDim' ? 'max' : 'min';
  const arg = name === 'maxDim' ? 'argmax' : 'argmin';
  const pyName = name === 'maxDim' ? 'max' : 'min';
  return registerOp<DimAttrs>({
    name,
    kind: 'primitive',
    differentiable: true,
    forward: ([x], { dim, keepdim }) => {
      checkNonEmpty(pyName, x!, x!.ndim === 0 ? [] : [dim], false);
      const dims = x!.ndim === 0 ? [] : [dim];
      const computeType = x!.dtype === 'bool' ? 'int32' : x!.dtype;
      return withCast(x!, computeType, (xc) => {
        let values = reduceInto(pyName, kind, xc, dims, keepdim, computeType);
        if (computeType !== x!.dtype) {
          const v = castKernel(values, x!.dtype);
          values.dispose();
          values = v;
        }
        const indices = argAlong(arg, xc, dim, keepdim);
        return [values, indices];
      });
    },
  });
}

const maxDimDef = extremumDimDef('maxDim');
const minDimDef = extremumDimDef('minDim');

function extremumDim(def: typeof maxDimDef, op: string, x: Tensor, dim: number, keepdim: boolean): ValuesIndices {
  const d = normalizeDim(dim, x.ndim, op);
  const [values, indices] = dispatch(def, [x], { dim: d, keepdim }) as readonly Tensor[];
  return { values: values!, indices: indices! };
}

/**
 * `torch.max`: `max(x)` is the largest element (0-d); `max(x, dim, {keepdim})` (or
 * `max(x, {dim, keepdim})`) gives `{ values, indices }` with the first index on ties;
 * `max(x, other)` is `torch.maximum`.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim: number, options?: { keepdim?: boolean }): ValuesIndices;
export function max(x: Tensor, options: { dim: number; keepdim?: boolean }): ValuesIndices;
export function max(x: Tensor, a?: Tensor | number | { dim: number; keepdim?: boolean }, b?: { keepdim?: boolean }): Tensor | ValuesIndices {
  if (a === undefined) return amax(x);
  if (a instanceof Tensor) return maximum(x, a);
  const o = merge<{ dim?: number; keepdim?: boolean }>(a, b);
  return extremumDim(maxDimDef, 'max', x, o.dim!, o.keepdim ?? false);
}

/** `torch.min`: like `max`. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim: number, options?: { keepdim?: boolean }): ValuesIndices;
export function min(x: Tensor, options: { dim: number; keepdim?: boolean }): ValuesIndices;
export function min(x: Tensor, a?: Tensor | number | { dim: number; keepdim?: boolean }, b?: { keepdim?: boolean }): Tensor | ValuesIndices {
  if (a === undefined) return amin(x);
  if (a instanceof Tensor) return minimum(x, a);
  const o = merge<{ dim?: number; keepdim?: boolean }>(a, b);
  return extremumDim(minDimDef, 'min', x, o.dim!, o.keepdim ?? false);
}

// ---- argmax / argmin --------------------------------------------------------------------------------

export interface ArgAttrs {
  /** null: over the flattened input. */
  dim: number | null;
  keepdim: boolean;
}

function argDef(name: 'argmax' | 'argmin') {
  return registerOp<ArgAttrs>({
    name,
    kind: 'primitive',
    differentiable: false,
    forward: ([x], { dim, keepdim }) => {
      checkNonEmpty(name, x!, dim === null ? [] : [dim], dim === null);
      const computeType = x!.dtype === 'bool' ? 'int32' : x!.dtype;
      return withCast(x!, computeType, (xc) => {
        if (dim !== null) return argAlong(name, xc, dim, keepdim);
        // Flattened: a contiguous 1-D view (copying a strided input first).
        const flat = xc.isContiguous() ? xc : allocTensor(xc.shape, xc.dtype, xc.device);
        if (flat !== xc) xc.backend.assign(flat.kernelView, xc.kernelView);
        try {
          const out = allocTensor(keepdim ? x!.shape.map(() => 1) : [], 'int32', x!.device);
          const fv: TensorView = { ...flat.kernelView, shape: [flat.numel()], strides: [1] };
          xc.backend.argReduce(name, fv, 0, asShape(out, [1]));
          return out;
        } finally {
          if (flat !== xc) flat.dispose();
        }
      });
    },
  });
}

const argmaxDef = argDef('argmax');
const argminDef = argDef('argmin');

/** Options of `argmax` / `argmin`. */
export interface ArgOptions {
  /** Omitted: index into the flattened input. */
  dim?: number;
  /** Keep the reduced dim with size 1 (default false). */
  keepdim?: boolean;
}

/** `torch.argmax(x, dim=None, keepdim=False)`: int32 index of the first maximum. */
export function argmax(x: Tensor, dimOrOptions?: number | ArgOptions, options?: Omit<ArgOptions, 'dim'>): Tensor {
  const o = merge<ArgOptions>(dimOrOptions, options);
  return call1(argmaxDef, [x], { dim: o.dim === undefined ? null : normalizeDim(o.dim, x.ndim, 'argmax'), keepdim: o.keepdim ?? false });
}

/** `torch.argmin(x, dim=None, keepdim=False)`. */
export function argmin(x: Tensor, dimOrOptions?: number | ArgOptions, options?: Omit<ArgOptions, 'dim'>): Tensor {
  const o = merge<ArgOptions>(dimOrOptions, options);
  return call1(argminDef, [x], { dim: o.dim === undefined ? null : normalizeDim(o.dim, x.ndim, 'argmin'), keepdim: o.keepdim ?? false });
}

// ---- logsumexp -----------------------------------------------------------------------------------------

const logsumexpDef = registerOp<ReduceAttrs>({
  name: 'logsumexp',
  kind: 'composite',
  differentiable: true,
  ownDerivative: true,
  forward: ([x], { dims, keepdim }) => withCast(x!, toFloatDType(x!.dtype), (xf) => logsumexpComposed(xf, dims, keepdim)),
});

/** log Σ exp(x), max-subtracted; an infinite max is replaced by 0 (as PyTorch) so ±inf rows give ±inf, not NaN. */
function logsumexpComposed(x: Tensor, dims: readonly number[], keepdim: boolean): Tensor {
  if (x.numel() === 0) {
    const m = sum(x, { dim: dims, keepdim });
    try {
      return log(m); // log(0) = -inf, PyTorch's value for an empty reduction
    } finally {
      m.dispose();
    }
  }
  const m0 = amax(x, { dim: dims, keepdim: true });
  const inf = isinf(m0);
  const m = where(inf, 0, m0);
  inf.dispose();
  m0.dispose();
  const shifted = sub(x, m);
  const e = exp(shifted);
  shifted.dispose();
  const s = sum(e, { dim: dims, keepdim: true });
  e.dispose();
  const l = log(s);
  s.dispose();
  const r = add(l, m);
  l.dispose();
  m.dispose();
  return keepdim ? r : reshapeFresh(r, reducedShape(x.shape, dims, false));
}

/** `torch.logsumexp(x, dim, keepdim=False)`, computed stably. Integer inputs give float32. */
export function logsumexp(x: Tensor, dimOrOptions?: Dims | ReduceOptions, options?: Omit<ReduceOptions, 'dim'>): Tensor {
  const o = merge<ReduceOptions>(dimOrOptions, options);
  return call1(logsumexpDef, [x], { dims: reduceDims(o.dim, x.ndim, 'logsumexp'), keepdim: o.keepdim ?? false });
}

// ---- scans ---------------------------------------------------------------------------------------------

export interface ScanAttrs {
  dim: number;
  dtype: DType;
}

/** A scan input/output view: 0-d tensors scan as shape [1]. */
function scanView(t: Tensor): TensorView {
  return t.ndim === 0 ? { ...t.kernelView, shape: [1], strides: [1] } : t.kernelView;
}

function cumDef(name: 'cumsum' | 'cumprod') {
  return registerOp<ScanAttrs>({
    name,
    kind: 'primitive',
    differentiable: true,
    forward: ([x], { dim, dtype }) =>
      withCast(x!, dtype, (xc) => {
        const out = allocTensor(x!.shape, dtype, x!.device);
        try {
          if (out.numel() > 0) x!.backend.scan(name, scanView(xc), dim, scanView(out));
        } catch (err) {
          out.dispose();
          if (err instanceof RangeError) throw new RuntimeError(`${name}: ${stripOp(err.message)} (input ${fmtShape(x!.shape)}, ${x!.dtype})`);
          throw err;
        }
        return out;
      }),
  });
}

const cumsumDef = cumDef('cumsum');
const cumprodDef = cumDef('cumprod');

/** `torch.cumsum(x, dim, dtype=None)`: integer and bool inputs give int32. */
export function cumsum(x: Tensor, dim: number, options: { dtype?: DType } = {}): Tensor {
  return call1(cumsumDef, [x], { dim: normalizeDim(dim, x.ndim, 'cumsum'), dtype: sumDType(x, options.dtype) });
}

/** `torch.cumprod(x, dim, dtype=None)`. */
export function cumprod(x: Tensor, dim: number, options: { dtype?: DType } = {}): Tensor {
  return call1(cumprodDef, [x], { dim: normalizeDim(dim, x.ndim, 'cumprod'), dtype: sumDType(x, options.dtype) });
}

function cumExtremumDef(name: 'cummax' | 'cummin') {
  return registerOp<{ dim: number }>({
    name,
    kind: 'primitive',
    differentiable: true,
    forward: ([x], { dim }) => {
      const backend = x!.backend;
      const computeType = x!.dtype === 'bool' ? 'int32' : x!.dtype;
      return withCast(x!, computeType, (xc) => {
        const shape = x!.ndim === 0 ? [1] : x!.shape;
        const xv = scanView(xc);
        const values = allocTensor(x!.shape, computeType, x!.device);
        const indices = allocTensor(x!.shape, 'int32', x!.device);
        if (values.numel() === 0) return [castTo(values, x!.dtype), indices];
        const temps: Tensor[] = [];
        const tmp = (dtype: DType, s: Shape = shape): Tensor => {
          const t = allocTensor(s, dtype, x!.device);
          temps.push(t);
          return t;
        };
        try {
          backend.scan(name, xv, dim, scanView(values));
          // The index of the running extreme is the last position j <= i where x[j] equals the
          // running extreme at j (PyTorch takes the latest on ties, and every NaN after the first).
          let hit = tmp('bool');
          backend.binary('eq', xv, scanView(values), hit.kernelView);
          if (isFloatDType(computeType)) {
            const nan = tmp('bool');
            backend.unary('isnan', xv, nan.kernelView);
            const either = tmp('bool');
            backend.binary('logicalOr', hit.kernelView, nan.kernelView, either.kernelView);
            hit = either;
          }
          const n = shape[dim]!;
          const pos = tmp('int32', [n]);
          backend.arange(pos.kernelView, 0, 1);
          const none = tmp('int32', []);
          backend.fill(none.kernelView, -1);
          const posView: TensorView = { ...pos.kernelView, shape, strides: shape.map((_, d) => (d === dim ? 1 : 0)) };
          const noneView: TensorView = { ...none.kernelView, shape, strides: shape.map(() => 0) };
          const cand = tmp('int32');
          backend.where(hit.kernelView, posView, noneView, cand.kernelView);
          backend.scan('cummax', cand.kernelView, dim, scanView(indices));
        } catch (err) {
          values.dispose();
          indices.dispose();
          throw err;
        } finally {
          for (const t of temps) t.dispose();
        }
        return [castTo(values, x!.dtype), indices];
      });
    },
  });
}

/** Converts a fresh tensor to `dtype`, consuming it. */
function castTo(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const c = castKernel(t, dtype);
  t.dispose();
  return c;
}

const cummaxDef = cumExtremumDef('cummax');
const cumminDef = cumExtremumDef('cummin');

/** `torch.cummax(x, dim)`: running maximum and the index where it was attained (latest on ties). */
export function cummax(x: Tensor, dim: number): ValuesIndices {
  const [values, indices] = dispatch(cummaxDef, [x], { dim: normalizeDim(dim, x.ndim, 'cummax') }) as readonly Tensor[];
  return { values: values!, indices: indices! };
}

/** `torch.cummin(x, dim)`. */
export function cummin(x: Tensor, dim: number): ValuesIndices {
  const [values, indices] = dispatch(cumminDef, [x], { dim: normalizeDim(dim, x.ndim, 'cummin') }) as readonly Tensor[];
  return { values: values!, indices: indices! };
}

// ---- all / any -------------------------------------------------------------------------------------------

function logicalReduceDef(name: 'all' | 'any') {
  return registerOp<ReduceAttrs>({
    name,
    kind: 'primitive',
    differentiable: false,
    forward: ([x], { dims, keepdim }) => {
      const backend = x!.backend;
      const out = allocTensor(reducedShape(x!.shape, dims, keepdim), 'bool', x!.device);
      if (out.numel() === 0) return out;
      if (x!.numel() === 0) {
        backend.fill(out.kernelView, name === 'all' ? 1 : 0);
        return out;
      }
      // x != 0 as 0/1 int32, then min (all) or max (any).
      const b = castKernel(x!, 'bool');
      const i = castKernel(b, 'int32');
      try {
        const r = reduceInto(name, name === 'all' ? 'min' : 'max', i, dims, keepdim, 'int32');
        backend.cast(r.kernelView, out.kernelView);
        r.dispose();
        return out;
      } finally {
        if (b !== x) b.dispose();
        if (i !== b) i.dispose();
      }
    },
  });
}

const allDef = logicalReduceDef('all');
const anyDef = logicalReduceDef('any');

/** `torch.all(x, dim=None, keepdim=False)`: whether every element is non-zero (bool). */
export function all(x: Tensor, dimOrOptions?: Dims | ReduceOptions, options?: Omit<ReduceOptions, 'dim'>): Tensor {
  const o = merge<ReduceOptions>(dimOrOptions, options);
  return call1(allDef, [x], { dims: reduceDims(o.dim, x.ndim, 'all'), keepdim: o.keepdim ?? false });
}

/** `torch.any(x, dim=None, keepdim=False)`. */
export function any(x: Tensor, dimOrOptions?: Dims | ReduceOptions, options?: Omit<ReduceOptions, 'dim'>): Tensor {
  const o = merge<ReduceOptions>(dimOrOptions, options);
  return call1(anyDef, [x], { dims: reduceDims(o.dim, x.ndim, 'any'), keepdim: o.keepdim ?? false });
}

// ---- countNonzero / norm --------------------------------------------------------------------------------------

const countNonzeroDef = registerOp<{ dims: number[] }>({
  name: 'countNonzero',
  kind: 'composite',
  differentiable: false,
  forward: ([x], { dims }) => {
    const nz = ne(x!, 0);
    try {
      return sum(nz, { dim: dims });
    } finally {
      nz.dispose();
    }
  },
});

/** `torch.count_nonzero(x, dim=None)`: int32 counts. */
export function countNonzero(x: Tensor, dimOrOptions?: Dims | { dim?: Dims }): Tensor {
  const o = merge<{ dim?: Dims }>(dimOrOptions, undefined);
  return call1(countNonzeroDef, [x], { dims: reduceDims(o.dim, x.ndim, 'count_nonzero') });
}

/** The order of a vector norm: a real number (±Infinity included) or `'fro'` (the 2-norm over the dims). */
export type NormOrd = number | 'fro';

/** Options of `norm` (`torch.norm(x, p, dim, keepdim, dtype)`). */
export interface NormOptions extends ReduceOptions {
  /** The order: 2 (default), 1, Infinity, -Infinity, 0, any real p, or 'fro' (= 2 over the dims). */
  p?: NormOrd;
  /** Compute in (and return) this floating dtype. */
  dtype?: DType;
}

export interface NormAttrs extends ReduceAttrs {
  /** A number (±Infinity allowed); 'fro' is passed as 2. */
  p: number;
}

const normDef = registerOp<NormAttrs>({
  name: 'norm',
  kind: 'composite',
  differentiable: true,
  // PyTorch's norm backward masks the 0/0 at a zero vector (gives 0, not NaN).
  ownDerivative: true,
  forward: ([x], attrs) => normComposed(x!, attrs),
});

function normComposed(x: Tensor, { p, dims, keepdim }: NormAttrs): Tensor {
  const opts = { dim: dims, keepdim };
  if (p === 0) {
    const nz = ne(x, 0);
    const c = sum(nz, opts);
    nz.dispose();
    try {
      return cast(c, x.dtype);
    } finally {
      c.dispose();
    }
  }
  const a = abs(x);
  try {
    if (p === Infinity) return amax(a, opts);
    if (p === -Infinity) return amin(a, opts);
    if (p === 1) return sum(a, opts);
    if (p === 2) {
      const sq = square(a);
      const s = sum(sq, opts);
      sq.dispose();
      try {
        return sqrt(s);
      } finally {
        s.dispose();
      }
    }
    const ap = pow(a, p);
    const s = sum(ap, opts);
    ap.dispose();
    try {
      return pow(s, 1 / p);
    } finally {
      s.dispose();
    }
  } finally {
    a.dispose();
  }
}

function normAttrs(x: Tensor, op: string, o: NormOptions, pKey: NormOrd | undefined): NormAttrs {
  const p = pKey ?? 2;
  if (p !== 'fro' && typeof p !== 'number') throw new ValueError(`${op}: unsupported norm order ${String(p)}`);
  if (p === 'fro' && o.dim !== undefined && typeof o.dim !== 'number' && o.dim.length > 2) {
    throw new ValueError(`${op}: the Frobenius norm takes at most 2 dims, got ${o.dim.length}`);
  }
  return { p: p === 'fro' ? 2 : p, dims: reduceDims(o.dim, x.ndim, op), keepdim: o.keepdim ?? false };
}

function checkNormInput(x: Tensor, op: string, dtype: DType | undefined): void {
  if (!isFloatDType(x.dtype) && dtype === undefined) {
    throw new DTypeError(`${op}: Expected a floating point or complex tensor as input. Got ${torchTypeName(x.dtype)}`);
  }
  if (dtype !== undefined && !isFloatDType(dtype)) throw new DTypeError(`${op}: dtype should be floating point, got ${dtype}`);
}

/**
 * `torch.norm(x, p='fro', dim=None, keepdim=False)` as a vector norm over `dim` (all
 * elements when omitted): p = 2, 1, ±Infinity, 0 or any real; `'fro'` is the 2-norm.
 */
export function norm(x: Tensor, pOrOptions?: NormOrd | NormOptions, options: Omit<NormOptions, 'p'> = {}): Tensor {
  const o: NormOptions = typeof pOrOptions === 'object' ? { ...pOrOptions, ...options } : { ...options, p: pOrOptions };
  const attrs = normAttrs(x, 'norm', o, o.p);
  checkNormInput(x, 'norm', o.dtype);
  if (o.dtype === undefined || o.dtype === x.dtype) return call1(normDef, [x], attrs);
  // The dtype cast is part of the graph: dispatch it, then the norm.
  const xc = cast(x, o.dtype);
  try {
    return call1(normDef, [xc], attrs);
  } finally {
    xc.dispose();
  }
}

/** Options of `linalg.vectorNorm`. */
export interface VectorNormOptions extends ReduceOptions {
  /** `ord` in PyTorch: 2 (default), 1, ±Infinity, 0, or any real. */
  ord?: number;
  /** Compute in (and return) this floating dtype. */
  dtype?: DType;
}

/** `torch.linalg.vector_norm(x, ord=2, dim=None, keepdim=False, dtype=None)`. */
export function vectorNorm(x: Tensor, ordOrOptions?: number | VectorNormOptions, options: Omit<VectorNormOptions, 'ord'> = {}): Tensor {
  const o: VectorNormOptions = typeof ordOrOptions === 'object' ? { ...ordOrOptions, ...options } : { ...options, ord: ordOrOptions };
  return norm(x, { dim: o.dim, keepdim: o.keepdim, dtype: o.dtype, p: o.ord ?? 2 });
}

// ---- methods -----------------------------------------------------------------------------------------------------

declare module '../core/tensor.js' {
  interface Tensor {
    /** `x.sum(dim=None, keepdim=False, dtype=None)`: the sum over `dim` (all dims by default); integer sums check for int32 overflow. */
    sum(dimOrOptions?: Dims | SumOptions, options?: Omit<SumOptions, 'dim'>): Tensor;
    /** `x.prod(dim=None, keepdim=False, dtype=None)`: the product over `dim`. */
    prod(dimOrOptions?: Dims | SumOptions, options?: Omit<SumOptions, 'dim'>): Tensor;
    /** `x.mean(dim=None, keepdim=False, dtype=None)`: the mean over `dim`, in float. */
    mean(dimOrOptions?: Dims | SumOptions, options?: Omit<SumOptions, 'dim'>): Tensor;
    /** `x.var(dim=None, correction=1, keepdim=False)`: the variance over `dim`, divisor N − correction. */
    var(dimOrOptions?: Dims | VarOptions, options?: Omit<VarOptions, 'dim'>): Tensor;
    /** `x.std(dim=None, correction=1, keepdim=False)`: the standard deviation, √var. */
    std(dimOrOptions?: Dims | VarOptions, options?: Omit<VarOptions, 'dim'>): Tensor;
    /** `x.amax(dim=None, keepdim=False)`: the maximum over `dim`, without indices. */
    amax(dimOrOptions?: Dims | ReduceOptions, options?: Omit<ReduceOptions, 'dim'>): Tensor;
    /** `x.amin(dim=None, keepdim=False)`: the minimum over `dim`, without indices. */
    amin(dimOrOptions?: Dims | ReduceOptions, options?: Omit<ReduceOptions, 'dim'>): Tensor;
    /** `x.max()`: the largest element (NaN if any is NaN), as a 0-d tensor. */
    max(): Tensor;
    /** `x.max(other)`: the elementwise maximum (`torch.maximum`). */
    max(other: Tensor): Tensor;
    /** `x.max(dim, keepdim=False)`: `{ values, indices }` of the maximum along `dim` (the first on ties). */
    max(dim: number, options?: { keepdim?: boolean }): ValuesIndices;
    /** `x.max({ dim, keepdim })`: the options form of `x.max(dim)`. */
    max(options: { dim: number; keepdim?: boolean }): ValuesIndices;
    /** `x.min()`: the smallest element (NaN if any is NaN), as a 0-d tensor. */
    min(): Tensor;
    /** `x.min(other)`: the elementwise minimum (`torch.minimum`). */
    min(other: Tensor): Tensor;
    /** `x.min(dim, keepdim=False)`: `{ values, indices }` of the minimum along `dim` (the first on ties). */
    min(dim: number, options?: { keepdim?: boolean }): ValuesIndices;
    /** `x.min({ dim, keepdim })`: the options form of `x.min(dim)`. */
    min(options: { dim: number; keepdim?: boolean }): ValuesIndices;
    /** `x.argmax(dim=None, keepdim=False)`: the int32 index of the first maximum (of the flattened tensor without `dim`). */
    argmax(dimOrOptions?: number | ArgOptions, options?: Omit<ArgOptions, 'dim'>): Tensor;
    /** `x.argmin(dim=None, keepdim=False)`: the int32 index of the first minimum (of the flattened tensor without `dim`). */
    argmin(dimOrOptions?: number | ArgOptions, options?: Omit<ArgOptions, 'dim'>): Tensor;
    /** `x.logsumexp(dim, keepdim=False)`: log Σ exp(x) over `dim`, computed stably. */
    logsumexp(dimOrOptions?: Dims | ReduceOptions, options?: Omit<ReduceOptions, 'dim'>): Tensor;
    /** `x.cumsum(dim, dtype=None)`: the running sum along `dim`. */
    cumsum(dim: number, options?: { dtype?: DType }): Tensor;
    /** `x.cumprod(dim, dtype=None)`: the running product along `dim`. */
    cumprod(dim: number, options?: { dtype?: DType }): Tensor;
    /** `x.cummax(dim)`: `{ values, indices }` of the running maximum along `dim`. */
    cummax(dim: number): ValuesIndices;
    /** `x.cummin(dim)`: `{ values, indices }` of the running minimum along `dim`. */
    cummin(dim: number): ValuesIndices;
    /** `x.all(dim=None, keepdim=False)`: bool, whether every element is non-zero. */
    all(dimOrOptions?: Dims | ReduceOptions, options?: Omit<ReduceOptions, 'dim'>): Tensor;
    /** `x.any(dim=None, keepdim=False)`: bool, whether some element is non-zero. */
    any(dimOrOptions?: Dims | ReduceOptions, options?: Omit<ReduceOptions, 'dim'>): Tensor;
    /** `x.count_nonzero(dim=None)`: the number of non-zero elements (int32). */
    countNonzero(dimOrOptions?: Dims | { dim?: Dims }): Tensor;
    /** `x.norm(p='fro', dim=None, keepdim=False, dtype=None)`: the vector p-norm over `dim` (all elements by default). */
    norm(pOrOptions?: NormOrd | NormOptions, options?: Omit<NormOptions, 'p'>): Tensor;
  }
}

/** Puts the reduction methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installReduceMethods(): void {
  Tensor.prototype.sum = function (a, b) {
    return sum(this, a, b);
  };
  Tensor.prototype.prod = function (a, b) {
    return prod(this, a, b);
  };
  Tensor.prototype.mean = function (a, b) {
    return mean(this, a, b);
  };
  Tensor.prototype.var = function (a, b) {
    return variance(this, a, b);
  };
  Tensor.prototype.std = function (a, b) {
    return std(this, a, b);
  };
  Tensor.prototype.amax = function (a, b) {
    return amax(this, a, b);
  };
  Tensor.prototype.amin = function (a, b) {
    return amin(this, a, b);
  };
  Tensor.prototype.max = function (this: Tensor, a?: any, b?: any): any {
    return max(this, a, b);
  } as Tensor['max'];
  Tensor.prototype.min = function (this: Tensor, a?: any, b?: any): any {
    return min(this, a, b);
  } as Tensor['min'];
  Tensor.prototype.argmax = function (a, b) {
    return argmax(this, a, b);
  };
  Tensor.prototype.argmin = function (a, b) {
    return argmin(this, a, b);
  };
  Tensor.prototype.logsumexp = function (a, b) {
    return logsumexp(this, a, b);
  };
  Tensor.prototype.cumsum = function (dim, options) {
    return cumsum(this, dim, options);
  };
  Tensor.prototype.cumprod = function (dim, options) {
    return cumprod(this, dim, options);
  };
  Tensor.prototype.cummax = function (dim) {
    return cummax(this, dim);
  };
  Tensor.prototype.cummin = function (dim) {
    return cummin(this, dim);
  };
  Tensor.prototype.all = function (a, b) {
    return all(this, a, b);
  };
  Tensor.prototype.any = function (a, b) {
    return any(this, a, b);
  };
  Tensor.prototype.countNonzero = function (a) {
    return countNonzero(this, a);
  };
  Tensor.prototype.norm = function (a, b) {
    return norm(this, a, b);
  };
}
