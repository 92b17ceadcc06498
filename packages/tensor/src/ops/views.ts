/**
 * Views: tensors that share their input's storage and differ only in shape, strides and
 * offset. Five view ops are registered (and so need derivatives); every other view function
 * is written with them:
 *
 * | op        | attrs (normalised: non-negative dims, resolved sizes) | covers |
 * | --------- | ------------------------------------------------------ | ------ |
 * | `view`    | `{ shape }`                                            | view, reshape (viewable case), flatten, unflatten, squeeze, unsqueeze |
 * | `permute` | `{ dims }`  (a permutation of 0..ndim-1)               | permute, transpose, t, mT, T, movedim |
 * | `expand`  | `{ shape }` (no -1; length ≥ ndim)                      | expand, expandAs |
 * | `slice`   | `{ dim, start, end, step }` (0 ≤ start ≤ end ≤ size, step > 0) | narrow, `x.index('1:5:2')` |
 * | `select`  | `{ dim, index }` (0 ≤ index < size; removes `dim`)     | select, unbind, `x.index(3)` |
 */
import { IndexError, RuntimeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { viewOf } from '../core/factory.js';
import { inferShape, normalizeDim, numelOf, shapesEqual, type Shape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import { alias, clone } from './conversion.js';

// ---- stride computation ----------------------------------------------------------------------

/**
 * PyTorch's `computeStride`: strides that let `newShape` view memory laid out as
 * (`oldShape`, `oldStrides`) without a copy, or null when some new dimension would span
 * two non-contiguous chunks of the old layout.
 */
export function computeStride(oldShape: Shape, oldStrides: readonly number[], newShape: Shape): number[] | null {
  if (oldShape.length === 0) return new Array<number>(newShape.length).fill(1);
  const numel = numelOf(oldShape);
  if (numel === 0) {
    if (shapesEqual(oldShape, newShape)) return [...oldStrides];
    const out = new Array<number>(newShape.length);
    for (let d = newShape.length - 1; d >= 0; d--) {
      out[d] = d === newShape.length - 1 ? 1 : Math.max(newShape[d + 1]!, 1) * out[d + 1]!;
    }
    return out;
  }
  const newStrides = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBaseStride = oldStrides[oldStrides.length - 1]!;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let tensorD = oldShape.length - 1; tensorD >= 0; tensorD--) {
    tensorNumel *= oldShape[tensorD]!;
    if (tensorD === 0 || (oldShape[tensorD - 1] !== 1 && oldStrides[tensorD - 1] !== tensorNumel * chunkBaseStride)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBaseStride;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (tensorD > 0) {
        chunkBaseStride = oldStrides[tensorD - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}

const VIEW_ERROR =
  "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.";

// ---- registered view ops -------------------------------------------------------------------------

/** Attributes of the registered `view` op. */
export interface ViewAttrs {
  /** The target shape, `-1` already resolved. */
  shape: number[];
}
/** Attributes of the registered `permute` op. */
export interface PermuteAttrs {
  /** The new order of the dims, normalised (non-negative). */
  dims: number[];
}
/** Attributes of the registered `expand` op. */
export interface ExpandAttrs {
  /** The target shape, `-1` already resolved to the input's size. */
  shape: number[];
}
/** Attributes of the registered `slice` op: `x[start:end:step]` along `dim`. */
export interface SliceAttrs {
  /** The dim sliced, normalised. */
  dim: number;
  /** First index, normalised and clamped. */
  start: number;
  /** One past the last index, normalised and clamped. */
  end: number;
  /** Stride between indices, positive. */
  step: number;
}
/** Attributes of the registered `select` op: `x.select(dim, index)`. */
export interface SelectAttrs {
  /** The dim removed, normalised. */
  dim: number;
  /** The index along `dim`, normalised (non-negative). */
  index: number;
}

export const viewDef = registerOp<ViewAttrs>({
  name: 'view',
  kind: 'view',
  differentiable: true,
  forward: ([x], { shape }) => {
    if (numelOf(shape) !== x!.numel()) throw new ShapeError(`view: shape '${fmtShape(shape)}' is invalid for input of size ${x!.numel()}`);
    const strides = computeStride(x!.shape, x!.strides, shape);
    if (!strides) throw new RuntimeError(`view: ${VIEW_ERROR}`);
    return viewOf(x!, shape, strides, x!.offset);
  },
});

export const permuteDef = registerOp<PermuteAttrs>({
  name: 'permute',
  kind: 'view',
  differentiable: true,
  forward: ([x], { dims }) => {
    const shape = dims.map((d) => x!.shape[d]!);
    const strides = dims.map((d) => x!.strides[d]!);
    return viewOf(x!, shape, strides, x!.offset);
  },
});

export const expandDef = registerOp<ExpandAttrs>({
  name: 'expand',
  kind: 'view',
  differentiable: true,
  forward: ([x], { shape }) => {
    const lead = shape.length - x!.ndim;
    const strides = shape.map((n, i) => {
      const j = i - lead;
      if (j < 0) return 0;
      return x!.shape[j] === n ? x!.strides[j]! : 0;
    });
    return viewOf(x!, shape, strides, x!.offset);
  },
});

export const sliceDef = registerOp<SliceAttrs>({
  name: 'slice',
  kind: 'view',
  differentiable: true,
  forward: ([x], { dim, start, end, step }) => {
    const shape = [...x!.shape];
    const strides = [...x!.strides];
    shape[dim] = Math.max(0, Math.ceil((end - start) / step));
    const offset = x!.offset + (shape[dim]! > 0 ? start * strides[dim]! : 0);
    strides[dim] = strides[dim]! * step;
    return viewOf(x!, shape, strides, offset);
  },
});

export const selectDef = registerOp<SelectAttrs>({
  name: 'select',
  kind: 'view',
  differentiable: true,
  forward: ([x], { dim, index }) => {
    const shape = x!.shape.filter((_, d) => d !== dim);
    const strides = x!.strides.filter((_, d) => d !== dim);
    return viewOf(x!, shape, strides, x!.offset + index * x!.strides[dim]!);
  },
});

// ---- argument helpers ------------------------------------------------------------------------------

/** `f(2, 3)` or `f([2, 3])`: PyTorch's varargs size lists. */
export type SizeArgs = readonly number[] | [readonly number[]];

export function sizesFrom(args: readonly (number | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}

// ---- view / reshape ------------------------------------------------------------------------------

/** `x.view(*shape)`: a view with a new shape (one size may be -1); throws if no strides fit. */
export function view(x: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  const target = inferShape(sizesFrom(shape), x.numel(), 'view');
  return call1(viewDef, [x], { shape: target });
}

/** `torch.reshape`: a view when the layout allows, otherwise a contiguous copy. */
export function reshape(x: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  const target = inferShape(sizesFrom(shape), x.numel(), 'reshape');
  if (computeStride(x.shape, x.strides, target)) return call1(viewDef, [x], { shape: target });
  const c = clone(x);
  try {
    return call1(viewDef, [c], { shape: target });
  } finally {
    c.dispose();
  }
}

/** `x.view_as(other)`: `x.view(other.shape)`. */
export function viewAs(x: Tensor, other: Tensor): Tensor {
  return view(x, other.shape);
}

/** `x.reshape_as(other)`: `x.reshape(other.shape)`. */
export function reshapeAs(x: Tensor, other: Tensor): Tensor {
  return reshape(x, other.shape);
}

/** `torch.flatten(x, start_dim=0, end_dim=-1)`. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.ndim, 'flatten');
  const e = normalizeDim(endDim, x.ndim, 'flatten');
  if (s > e) throw new ValueError('flatten() has invalid args: start_dim cannot come after end_dim');
  if (s === e) return alias(x);
  const shape = [...x.shape.slice(0, s), numelOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** `torch.unflatten(x, dim, sizes)`: splits `dim` into `sizes` (one may be -1). */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normalizeDim(dim, x.ndim, 'unflatten');
  if (sizes.length === 0) throw new ValueError('unflatten: sizes must be non-empty');
  const inner = inferShape(sizes, x.shape[d]!, 'unflatten');
  return view(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}

/** `x.squeeze()` drops every size-1 dim; `squeeze(dim)` / `squeeze([dims])` only those (if size 1). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  let drop: Set<number>;
  if (dim === undefined) drop = new Set(x.shape.flatMap((n, d) => (n === 1 ? [d] : [])));
  else {
    const list = typeof dim === 'number' ? [dim] : dim;
    drop = new Set(list.map((d) => normalizeDim(d, x.ndim, 'squeeze')).filter((d) => x.shape[d] === 1));
  }
  return call1(viewDef, [x], { shape: x.shape.filter((_, d) => !drop.has(d)) });
}

/** `x.unsqueeze(dim)`: a size-1 dim inserted at `dim` (in [-ndim-1, ndim]). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.ndim + 1, 'unsqueeze');
  return call1(viewDef, [x], { shape: [...x.shape.slice(0, d), 1, ...x.shape.slice(d)] });
}

// ---- permutations ----------------------------------------------------------------------------------

/** `x.permute(*dims)`. */
export function permute(x: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  const list = sizesFrom(dims);
  if (list.length !== x.ndim) {
    throw new ShapeError(
      `permute: number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${x.ndim} is not equal to len(dims) = ${list.length}`,
    );
  }
  const norm = list.map((d) => normalizeDim(d, x.ndim, 'permute'));
  if (new Set(norm).size !== norm.length) throw new ValueError('permute(): duplicate dims are not allowed.');
  return call1(permuteDef, [x], { dims: norm });
}

/** `torch.transpose(x, dim0, dim1)`. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim === 0) return alias(x);
  const a = normalizeDim(dim0, x.ndim, 'transpose');
  const b = normalizeDim(dim1, x.ndim, 'transpose');
  const dims = Array.from({ length: x.ndim }, (_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return call1(permuteDef, [x], { dims });
}

/** `x.t()`: transposes a 2-D tensor; 0-D and 1-D tensors are returned as they are. */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new ShapeError(`t() expects a tensor with <= 2 dimensions, but self is ${x.ndim}D`);
  return x.ndim < 2 ? alias(x) : transpose(x, 0, 1);
}

/** `x.mT`: the last two dims swapped (batches of matrices). */
export function mT(x: Tensor): Tensor {
  if (x.ndim < 2) throw new ShapeError(`tensor.mT is only supported on matrices or batches of matrices. Got ${x.ndim}-D tensor.`);
  return transpose(x, -2, -1);
}

/** `torch.movedim(x, source, destination)` (also `moveaxis`). */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  const src = (typeof source === 'number' ? [source] : [...source]).map((d) => normalizeDim(d, x.ndim, 'movedim'));
  const dst = (typeof destination === 'number' ? [destination] : [...destination]).map((d) => normalizeDim(d, x.ndim, 'movedim'));
  if (src.length !== dst.length) {
    throw new ValueError(`movedim: Invalid source or destination dims: source (${fmtShape(src)} dims) should contain the same number of dims as destination (${fmtShape(dst)} dims)`);
  }
  if (new Set(src).size !== src.length) throw new ValueError(`movedim: repeated dim in \`source\` (${fmtShape(src)})`);
  if (new Set(dst).size !== dst.length) throw new ValueError(`movedim: repeated dim in \`destination\` (${fmtShape(dst)})`);
  const order = new Array<number>(x.ndim).fill(-1);
  src.forEach((s, i) => (order[dst[i]!] = s));
  const rest = Array.from({ length: x.ndim }, (_, i) => i).filter((d) => !src.includes(d));
  let k = 0;
  for (let i = 0; i < x.ndim; i++) if (order[i] === -1) order[i] = rest[k++]!;
  return call1(permuteDef, [x], { dims: order });
}

// ---- expand -------------------------------------------------------------------------------------------

/** `x.expand(*sizes)`: broadcasts size-1 dims (and new leading dims) without copying; -1 keeps a size. */
export function expand(x: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
  const target = sizesFrom(sizes);
  if (target.length < x.ndim) {
    throw new ShapeError(
      `expand(${fmtShape(x.shape)}, size=${fmtShape(target)}): the number of sizes provided (${target.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`,
    );
  }
  const lead = target.length - x.ndim;
  const shape = target.map((n, i) => {
    const j = i - lead;
    if (j < 0) {
      if (n < 0) throw new ShapeError(`expand: the expanded size of the tensor (${n}) isn't allowed in a leading, non-existing dimension ${i}`);
      return n;
    }
    const have = x.shape[j]!;
    if (n === -1) return have;
    if (!Number.isInteger(n) || n < 0) throw new ValueError(`expand: invalid size ${n}`);
    if (have !== n && have !== 1) {
      throw new ShapeError(
        `The expanded size of the tensor (${n}) must match the existing size (${have}) at non-singleton dimension ${i}.  Target sizes: ${fmtShape(target)}.  Tensor sizes: ${fmtShape(x.shape)}`,
      );
    }
    return n;
  });
  return call1(expandDef, [x], { shape });
}

/** `x.expand_as(other)`: `x.expand(other.shape)`. */
export function expandAs(x: Tensor, other: Tensor): Tensor {
  return expand(x, other.shape);
}

// ---- slicing -----------------------------------------------------------------------------------------

/**
 * Python slice normalisation for a dim of `size`: negative bounds count from the end, bounds
 * are clamped, `step` must be positive (PyTorch refuses negative steps).
 */
export function normalizeSlice(
  size: number,
  start: number | null | undefined,
  stop: number | null | undefined,
  step: number | null | undefined,
): {
  /** First index, in [0, size]. */
  start: number;
  /** One past the last index, in [start, size]. */
  end: number;
  /** Stride between indices, positive. */
  step: number;
} {
  const st = step ?? 1;
  if (!Number.isInteger(st)) throw new ValueError(`slice step must be an integer (got ${st})`);
  if (st <= 0) throw new ValueError('step must be greater than zero');
  const clampBound = (v: number | null | undefined, dflt: number): number => {
    if (v === null || v === undefined) return dflt;
    if (!Number.isInteger(v)) throw new ValueError(`slice indices must be integers (got ${v})`);
    const w = v < 0 ? v + size : v;
    return Math.min(Math.max(w, 0), size);
  };
  const s = clampBound(start, 0);
  const e = Math.max(clampBound(stop, size), s);
  return { start: s, end: e, step: st };
}

/** A strided slice `x[..., start:stop:step, ...]` along `dim` (a view). */
export function slice(x: Tensor, dim: number, start?: number | null, stop?: number | null, step?: number | null): Tensor {
  const d = normalizeDim(dim, x.ndim, 'slice');
  if (x.ndim === 0) throw new IndexError('slice() cannot be applied to a 0-dim tensor.');
  return call1(sliceDef, [x], { dim: d, ...normalizeSlice(x.shape[d]!, start, stop, step) });
}

/** `torch.narrow(x, dim, start, length)`: elements [start, start + length) of `dim` (a view). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  if (x.ndim === 0) throw new IndexError('narrow() cannot be applied to a 0-dim tensor.');
  const d = normalizeDim(dim, x.ndim, 'narrow');
  const size = x.shape[d]!;
  if (!Number.isInteger(start) || start < -size || start > size) {
    throw new IndexError(`narrow(): start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`);
  }
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(length) || length < 0) throw new ValueError('narrow(): length must be non-negative.');
  if (s + length > size) throw new IndexError(`narrow(): start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  return call1(sliceDef, [x], { dim: d, start: s, end: s + length, step: 1 });
}

/** `x.select(dim, index)`: the slice at `index`, with `dim` removed (a view). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  if (x.ndim === 0) throw new IndexError('select() cannot be applied to a 0-dim tensor.');
  const d = normalizeDim(dim, x.ndim, 'select');
  const size = x.shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new IndexError(`select(): index ${index} out of range for tensor of size ${fmtShape(x.shape)} at dimension ${d}`);
  }
  return call1(selectDef, [x], { dim: d, index: index < 0 ? index + size : index });
}

/**
 * `torch.diagonal(x, offset=0, dim1=0, dim2=1)`: the diagonal moved to the last dim. A view
 * when `dim1`/`dim2` can be flattened together without a copy (always for contiguous input),
 * otherwise a copy.
 */
export function diagonal(x: Tensor, options: { offset?: number; dim1?: number; dim2?: number } = {}): Tensor {
  const offset = options.offset ?? 0;
  if (x.ndim < 2) throw new ShapeError(`diagonal: expected a tensor with at least 2 dimensions, but got ${x.ndim}`);
  const d1 = normalizeDim(options.dim1 ?? 0, x.ndim, 'diagonal');
  const d2 = normalizeDim(options.dim2 ?? 1, x.ndim, 'diagonal');
  if (d1 === d2) throw new ValueError(`diagonal dimensions cannot be identical ${options.dim1 ?? 0}, ${options.dim2 ?? 1}`);
  const moved = movedim(x, [d1, d2], [-2, -1]);
  try {
    const n = moved.shape[moved.ndim - 2]!;
    const m = moved.shape[moved.ndim - 1]!;
    const len = Math.max(0, offset >= 0 ? Math.min(n, m - offset) : Math.min(n + offset, m));
    const flat = flatten(moved, -2, -1);
    try {
      if (len === 0) return narrow(flat, -1, 0, 0);
      const start = offset >= 0 ? offset : -offset * m;
      return slice(flat, -1, start, start + (len - 1) * (m + 1) + 1, m + 1);
    } finally {
      flat.dispose();
    }
  } finally {
    moved.dispose();
  }
}

// ---- Tensor methods --------------------------------------------------------------------------------

declare module '../core/tensor.js' {
  interface Tensor {
    /** `x.view(*shape)`: the same storage under a new shape (one dim may be -1); refused when the strides do not allow it (use `reshape`). */
    view(...shape: number[]): Tensor;
    /** `x.view(shape)`, the shape as an array. */
    view(shape: readonly number[]): Tensor;
    /** `x.reshape(*shape)`: a view when the strides allow it, else a copy (one dim may be -1). */
    reshape(...shape: number[]): Tensor;
    /** `x.reshape(shape)`, the shape as an array. */
    reshape(shape: readonly number[]): Tensor;
    /** `x.view_as(other)`: `x.view(other.shape)`. */
    viewAs(other: Tensor): Tensor;
    /** `x.reshape_as(other)`: `x.reshape(other.shape)`. */
    reshapeAs(other: Tensor): Tensor;
    /** `x.flatten(start_dim=0, end_dim=-1)`: dims `startDim`…`endDim` merged into one. */
    flatten(startDim?: number, endDim?: number): Tensor;
    /** `x.unflatten(dim, sizes)`: `dim` split into `sizes` (one may be -1). */
    unflatten(dim: number, sizes: readonly number[]): Tensor;
    /** `x.squeeze(dim=None)`: size-1 dims removed (all, or those of `dim` that have size 1). */
    squeeze(dim?: number | readonly number[]): Tensor;
    /** `x.unsqueeze(dim)`: a size-1 dim inserted at `dim`. */
    unsqueeze(dim: number): Tensor;
    /** `x.permute(*dims)`: a view with the dims reordered. */
    permute(...dims: number[]): Tensor;
    /** `x.permute(dims)`, the order as an array. */
    permute(dims: readonly number[]): Tensor;
    /** `x.transpose(dim0, dim1)`: a view with two dims swapped. */
    transpose(dim0: number, dim1: number): Tensor;
    /** `x.swapaxes(dim0, dim1)`: alias of `transpose`. */
    swapaxes(dim0: number, dim1: number): Tensor;
    /** `x.swapdims(dim0, dim1)`: alias of `transpose`. */
    swapdims(dim0: number, dim1: number): Tensor;
    /** `x.t()`: the transpose of a tensor of at most 2 dims. */
    t(): Tensor;
    /** The last two dims swapped (`x.mT`). */
    readonly mT: Tensor;
    /** All dims reversed (`x.T`; PyTorch deprecates it beyond 2-D). */
    readonly T: Tensor;
    /** `x.movedim(source, destination)`: dims moved to new positions, the others kept in order. */
    movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor;
    /** `x.moveaxis(source, destination)`: alias of `movedim`. */
    moveaxis(source: number | readonly number[], destination: number | readonly number[]): Tensor;
    /** `x.expand(*sizes)`: a broadcast view (stride 0 on expanded dims; -1 keeps a size). Writing into it is refused. */
    expand(...sizes: number[]): Tensor;
    /** `x.expand(sizes)`, the sizes as an array. */
    expand(sizes: readonly number[]): Tensor;
    /** `x.expand_as(other)`: `x.expand(other.shape)`. */
    expandAs(other: Tensor): Tensor;
    /** `x.narrow(dim, start, length)`: a view of `length` elements of `dim` from `start`. */
    narrow(dim: number, start: number, length: number): Tensor;
    /** `x.select(dim, index)`: a view at `index` of `dim`, that dim removed (`x[:, index]`). */
    select(dim: number, index: number): Tensor;
    /** `x.diagonal(offset=0, dim1=0, dim2=1)`: a view of the diagonal, as the last dim. */
    diagonal(options?: { offset?: number; dim1?: number; dim2?: number }): Tensor;
  }
}

type AnyArgs = (number | readonly number[])[];
/** Puts the view methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installViewMethods(): void {
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  proto.view = function (this: Tensor, ...shape: AnyArgs) {
    return view(this, ...shape);
  };
  proto.reshape = function (this: Tensor, ...shape: AnyArgs) {
    return reshape(this, ...shape);
  };
  proto.permute = function (this: Tensor, ...dims: AnyArgs) {
    return permute(this, ...dims);
  };
  proto.expand = function (this: Tensor, ...sizes: AnyArgs) {
    return expand(this, ...sizes);
  };
  Tensor.prototype.viewAs = function (other) {
    return viewAs(this, other);
  };
  Tensor.prototype.reshapeAs = function (other) {
    return reshapeAs(this, other);
  };
  Tensor.prototype.flatten = function (startDim, endDim) {
    return flatten(this, startDim, endDim);
  };
  Tensor.prototype.unflatten = function (dim, sizes) {
    return unflatten(this, dim, sizes);
  };
  Tensor.prototype.squeeze = function (dim) {
    return squeeze(this, dim);
  };
  Tensor.prototype.unsqueeze = function (dim) {
    return unsqueeze(this, dim);
  };
  Tensor.prototype.transpose = function (dim0, dim1) {
    return transpose(this, dim0, dim1);
  };
  Tensor.prototype.swapaxes = Tensor.prototype.transpose;
  Tensor.prototype.swapdims = Tensor.prototype.transpose;
  Tensor.prototype.t = function () {
    return t(this);
  };
  Object.defineProperty(Tensor.prototype, 'mT', {
    configurable: true,
    get(this: Tensor) {
      return mT(this);
    },
  });
  Object.defineProperty(Tensor.prototype, 'T', {
    configurable: true,
    get(this: Tensor) {
      return call1(permuteDef, [this], { dims: Array.from({ length: this.ndim }, (_, i) => this.ndim - 1 - i) });
    },
  });
  Tensor.prototype.movedim = function (source, destination) {
    return movedim(this, source, destination);
  };
  Tensor.prototype.moveaxis = Tensor.prototype.movedim;
  Tensor.prototype.expandAs = function (other) {
    return expandAs(this, other);
  };
  Tensor.prototype.narrow = function (dim, start, length) {
    return narrow(this, dim, start, length);
  };
  Tensor.prototype.select = function (dim, index) {
    return select(this, dim, index);
  };
  Tensor.prototype.diagonal = function (options) {
    return diagonal(this, options);
  };
}
