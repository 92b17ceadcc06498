/**
 * Indexing: gather / scatter / indexSelect / indexAdd (registered primitives over the backend
 * kernels), masks (maskedFill, maskedSelect, nonzero), oneHot, and PyTorch's subscript syntax
 * as `x.index(...)` (read) and `x.set(index, value)` (write in place).
 *
 * Index tensors are int32 (PyTorch's int64 is int32 here); bounds are checked with PyTorch's
 * `IndexError` message. Only advanced indexing (`x.index(t)`) wraps negative indices.
 */
import { DTypeError, DeviceError, IndexError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { allocTensor, fromHost } from '../core/factory.js';
import type { Scalar } from '../core/promotion.js';
import { broadcastAll, broadcastShapes, normalizeDim, numelOf } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import { broadcastView, commonDevice, scalarTensor } from './common.js';
import { cast, alias } from './conversion.js';
import { copy_, copyBack } from './copy.js';
import { add, eq, lt, mul, where } from './elementwise.js';
import { expand, normalizeSlice, permute, reshape, selectDef, sliceDef, unsqueeze } from './views.js';
import { arange } from '../creation/filled.js';
import type { TensorView } from '@torchlet/backend';

// ---- shared helpers ------------------------------------------------------------------------------------

/** Runs `fn` with a tracker for temporaries; disposes them afterwards, except tensors in the result. */
export function withTemps<R>(fn: (tmp: <T extends Tensor>(t: T) => T) => R): R {
  const temps: Tensor[] = [];
  let result: R | undefined;
  try {
    result = fn((t) => {
      temps.push(t);
      return t;
    });
    return result;
  } finally {
    const keep = new Set<unknown>();
    if (result instanceof Tensor) keep.add(result);
    else if (Array.isArray(result)) for (const r of result) keep.add(r);
    else if (result && typeof result === 'object') for (const r of Object.values(result)) keep.add(r);
    for (const t of temps) if (!keep.has(t)) t.dispose();
  }
}

/** Index tensors must be int32 (PyTorch's int64). */
export function checkIndexDType(op: string, index: Tensor): void {
  if (index.dtype !== 'int32') throw new DTypeError(`${op}(): Expected dtype int32 for index (got ${index.dtype})`);
}

function checkBoolMask(op: string, mask: Tensor): void {
  if (mask.dtype !== 'bool') throw new DTypeError(`${op}: expected a bool mask (got mask with dtype ${mask.dtype})`);
}

/** A 0-d view read as 1-d, since the kernels index along an axis. */
function kv(t: Tensor): TensorView {
  const v = t.kernelView;
  return t.ndim === 0 ? { ...v, shape: [1], strides: [1] } : v;
}

/**
 * Runs an index kernel that fills `out`; turns the backend's RangeError into PyTorch's
 * IndexError naming `dim`, and disposes `out` on failure.
 */
function runIndexKernel(out: Tensor, dim: number, fn: () => void): Tensor {
  try {
    fn();
    return out;
  } catch (err) {
    out.dispose();
    const m = err instanceof RangeError ? /index (-?\d+) is out of bounds for dimension with size (\d+)/.exec(err.message) : null;
    if (m) throw new IndexError(`index ${m[1]} is out of bounds for dimension ${dim} with size ${m[2]}`);
    throw err;
  }
}

/** A synchronous host read for value-dependent shapes; names the async form on devices without one. */
function readSync(t: Tensor, op: string, asyncForm: string): ArrayLike<number> {
  if (!t.backend.canReadSync) {
    throw new DeviceError(`${op}(): tensors on '${t.device}' cannot be read synchronously; use \`await ${asyncForm}(...)\``);
  }
  return t.dataSync();
}

// ---- gather / scatter / indexSelect / indexAdd ------------------------------------------------------------

export interface DimAttrs {
  dim: number;
}
export interface IndexAddAttrs {
  dim: number;
  alpha: number;
}

/** inputs [x, index] → out shaped like index; `out[i][j] = x[i][index[i][j]]` for dim 1. */
export const gatherDef = registerOp<DimAttrs>({
  name: 'gather',
  kind: 'primitive',
  differentiable: true,
  forward: ([x, index], { dim }) => {
    const out = allocTensor(index!.shape, x!.dtype, x!.device);
    if (out.numel() === 0) return out;
    return runIndexKernel(out, dim, () => x!.backend.gather(kv(x!), dim, kv(index!), kv(out)));
  },
});

/** inputs [x, index(1-D)] → x with `dim` replaced by the indexed rows. */
export const indexSelectDef = registerOp<DimAttrs>({
  name: 'indexSelect',
  kind: 'primitive',
  differentiable: true,
  forward: ([x, index], { dim }) => {
    const shape = x!.shape.map((n, d) => (d === dim ? index!.numel() : n));
    const out = allocTensor(shape, x!.dtype, x!.device);
    if (out.numel() === 0) return out;
    const iv = index!.ndim === 0 ? kv(index!) : index!.kernelView;
    return runIndexKernel(out, dim, () => x!.backend.indexSelect(x!.kernelView, dim, iv, out.kernelView));
  },
});

function scatterForward(x: Tensor, index: Tensor, src: Tensor, dim: number, mode: 'set' | 'add'): Tensor {
  const out = allocTensor(x.shape, x.dtype, x.device);
  if (out.numel() === 0) return out;
  x.backend.assign(out.kernelView, x.kernelView);
  if (index.numel() === 0) return out;
  return runIndexKernel(out, dim, () => x.backend.scatter(kv(out), dim, kv(index), kv(src), mode));
}

/** inputs [x, index, src] (out of place): a copy of x with `out[index[i][j]][j] = src[i][j]` for dim 0. */
export const scatterDef = registerOp<DimAttrs>({
  name: 'scatter',
  kind: 'primitive',
  differentiable: true,
  forward: ([x, index, src], { dim }) => scatterForward(x!, index!, src!, dim, 'set'),
});

/** inputs [x, index, src] (out of place): a copy of x with `out[index[i][j]][j] += src[i][j]` for dim 0. */
export const scatterAddDef = registerOp<DimAttrs>({
  name: 'scatterAdd',
  kind: 'primitive',
  differentiable: true,
  forward: ([x, index, src], { dim }) => scatterForward(x!, index!, src!, dim, 'add'),
});

/** inputs [x, index(1-D), src] (out of place): a copy of x with `out.select(dim, index[i]) += alpha · src.select(dim, i)`. */
export const indexAddDef = registerOp<IndexAddAttrs>({
  name: 'indexAdd',
  kind: 'primitive',
  differentiable: true,
  forward: ([x, index, src], { dim, alpha }) => {
    const out = allocTensor(x!.shape, x!.dtype, x!.device);
    if (out.numel() === 0) return out;
    const backend = x!.backend;
    backend.assign(out.kernelView, x!.kernelView);
    if (src!.numel() === 0) return out;
    let scaled = src!;
    if (alpha !== 1) {
      scaled = allocTensor(src!.shape, src!.dtype, src!.device);
      const a = scalarTensor(alpha, src!.dtype, src!.device);
      try {
        backend.binary('mul', src!.kernelView, broadcastView(a, src!.shape), scaled.kernelView);
      } finally {
        a.dispose();
      }
    }
    try {
      const iv = index!.ndim === 0 ? kv(index!) : index!.kernelView;
      return runIndexKernel(out, dim, () => backend.indexAdd(kv(out), dim, iv, kv(scaled)));
    } finally {
      if (scaled !== src) scaled.dispose();
    }
  },
});

function checkSameNdim(op: string, x: Tensor, index: Tensor): void {
  if (index.ndim !== x.ndim && !(index.ndim <= 1 && x.ndim <= 1)) {
    throw new ShapeError(`${op}(): Index tensor must have the same number of dimensions as input tensor (got ${index.ndim} and ${x.ndim})`);
  }
}

/** `torch.gather(x, dim, index)`. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndexDType('gather', index);
  commonDevice([x, index], 'gather');
  checkSameNdim('gather', x, index);
  const d = normalizeDim(dim, x.ndim, 'gather');
  for (let i = 0; i < index.ndim; i++) {
    if (i !== d && index.shape[i]! > x.shape[i]!) {
      throw new ShapeError(
        `gather(): Size does not match at dimension ${i} expected index ${fmtShape(index.shape)} to be smaller than self ${fmtShape(x.shape)} apart from dimension ${d}`,
      );
    }
  }
  return call1(gatherDef, [x, index], { dim: d });
}

function checkScatter(op: string, x: Tensor, d: number, index: Tensor, src: Tensor): void {
  checkIndexDType(op, index);
  commonDevice([x, index, src], op);
  checkSameNdim(op, x, index);
  if (src.dtype !== x.dtype) {
    throw new DTypeError(`${op}(): Expected self.dtype to be equal to src.dtype (got ${x.dtype} and ${src.dtype})`);
  }
  if (src.ndim !== index.ndim && !(src.ndim <= 1 && index.ndim <= 1)) {
    throw new ShapeError(`${op}(): Index tensor must have the same number of dimensions as src tensor (got ${index.ndim} and ${src.ndim})`);
  }
  for (let i = 0; i < index.ndim; i++) {
    if (index.shape[i]! > (src.shape[i] ?? 1) || (i !== d && index.shape[i]! > x.shape[i]!)) {
      throw new ShapeError(
        `${op}(): Expected index ${fmtShape(index.shape)} to be smaller than self ${fmtShape(x.shape)} apart from dimension ${d} and to be smaller size than src ${fmtShape(src.shape)}`,
      );
    }
  }
}

/** `torch.scatter(x, dim, index, src | value)` (out of place). Duplicate indices: the last write wins. */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | Scalar): Tensor {
  const d = normalizeDim(dim, x.ndim, 'scatter');
  if (src instanceof Tensor) {
    checkScatter('scatter', x, d, index, src);
    return call1(scatterDef, [x, index, src], { dim: d });
  }
  checkIndexDType('scatter', index);
  return withTemps((tmp) => {
    const v = tmp(scalarTensor(src, x.dtype, x.device));
    const e = tmp(expand(v, index.shape));
    checkScatter('scatter', x, d, index, e);
    return call1(scatterDef, [x, index, e], { dim: d });
  });
}

/** `torch.scatter_add(x, dim, index, src)` (out of place); float adds apply in index order. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = normalizeDim(dim, x.ndim, 'scatter_add');
  checkScatter('scatter_add', x, d, index, src);
  return call1(scatterAddDef, [x, index, src], { dim: d });
}

function checkVectorIndex(op: string, index: Tensor): void {
  checkIndexDType(op, index);
  if (index.ndim > 1) throw new ShapeError(`${op}(): Index is supposed to be a vector (got shape ${fmtShape(index.shape)})`);
}

/** `torch.index_select(x, dim, index)`: rows `index` (1-D int32) of `dim`. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkVectorIndex('index_select', index);
  commonDevice([x, index], 'index_select');
  if (x.ndim === 0) throw new ShapeError('index_select(): cannot index a 0-dim tensor');
  const d = normalizeDim(dim, x.ndim, 'index_select');
  return call1(indexSelectDef, [x, index], { dim: d });
}

/** `torch.index_add(x, dim, index, source, alpha=1)` (out of place). */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, options: { alpha?: number } = {}): Tensor {
  checkVectorIndex('index_add', index);
  commonDevice([x, index, source], 'index_add');
  if (source.dtype !== x.dtype) {
    throw new DTypeError(`index_add_(): self (${x.dtype}) and source (${source.dtype}) must have the same scalar type`);
  }
  const d = normalizeDim(dim, Math.max(x.ndim, 1), 'index_add');
  const expected = x.ndim === 0 ? [index.numel()] : x.shape.map((n, i) => (i === d ? index.numel() : n));
  const got = source.ndim === 0 ? [1] : source.shape;
  if (got.length !== expected.length || got.some((n, i) => n !== expected[i])) {
    throw new ShapeError(`index_add_(): source shape ${fmtShape(source.shape)} does not match the expected shape ${fmtShape(expected)} (self ${fmtShape(x.shape)} with dim ${d} of size ${index.numel()})`);
  }
  return call1(indexAddDef, [x, index, source], { dim: d, alpha: options.alpha ?? 1 });
}

// ---- masks ---------------------------------------------------------------------------------------------------

/** inputs [x, mask, value(0-d, x's dtype)]: `where(mask, value, x)`. */
const maskedFillDef = registerOp({
  name: 'maskedFill',
  kind: 'composite',
  differentiable: true,
  forward: ([x, mask, value]) => where(mask!, value!, x!),
});

/** `x.masked_fill(mask, value)`: `value` where `mask` (bool, broadcastable) is true; keeps x's dtype. */
export function maskedFill(x: Tensor, mask: Tensor, value: Tensor | Scalar): Tensor {
  if (mask.dtype !== 'bool') throw new DTypeError(`masked_fill_ only supports boolean masks, but got mask with dtype ${mask.dtype}`);
  if (value instanceof Tensor && value.ndim !== 0) {
    throw new ShapeError(`masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ${value.ndim} dimension(s).`);
  }
  broadcastShapes(x.shape, mask.shape, 'masked_fill');
  return withTemps((tmp) => {
    const v = value instanceof Tensor ? (value.dtype === x.dtype ? value : tmp(cast(value, x.dtype))) : tmp(scalarTensor(value, x.dtype, x.device));
    return call1(maskedFillDef, [x, mask, v]);
  });
}

function positionsOf(host: ArrayLike<number>): Int32Array {
  let n = 0;
  for (let i = 0; i < host.length; i++) if (host[i] !== 0) n++;
  const out = new Int32Array(n);
  for (let i = 0, k = 0; i < host.length; i++) if (host[i] !== 0) out[k++] = i;
  return out;
}

function maskedSelectFrom(x: Tensor, shape: readonly number[], mask: ArrayLike<number>): Tensor {
  return withTemps((tmp) => {
    const pos = positionsOf(mask);
    const idx = tmp(fromHost(pos, [pos.length], 'int32', x.device));
    const flat = tmp(reshape(tmp(expand(x, shape)), [-1]));
    return call1(indexSelectDef, [flat, idx], { dim: 0 });
  });
}

function maskedSelectPrepare(x: Tensor, mask: Tensor): { shape: number[]; m: Tensor } {
  checkBoolMask('masked_select', mask);
  commonDevice([x, mask], 'masked_select');
  const shape = broadcastShapes(x.shape, mask.shape, 'masked_select');
  return { shape, m: expand(mask, shape) };
}

/**
 * `torch.masked_select(x, mask)`: the elements where `mask` is true, as a 1-D tensor. Its size
 * depends on the mask's values, so this reads the mask synchronously (CPU); elsewhere use
 * `maskedSelectAsync`.
 */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  const { shape, m } = maskedSelectPrepare(x, mask);
  try {
    return maskedSelectFrom(x, shape, readSync(m, 'maskedSelect', 'maskedSelectAsync'));
  } finally {
    m.dispose();
  }
}

/** `maskedSelect` for every device: reads the mask asynchronously. */
export async function maskedSelectAsync(x: Tensor, mask: Tensor): Promise<Tensor> {
  const { shape, m } = maskedSelectPrepare(x, mask);
  try {
    return maskedSelectFrom(x, shape, await m.data());
  } finally {
    m.dispose();
  }
}

/** Coordinates of the nonzero elements of a row-major host array of `shape`: [n, ndim] int32. */
function nonzeroHost(host: ArrayLike<number>, shape: readonly number[]): { coords: Int32Array; n: number } {
  const pos = positionsOf(host);
  const nd = shape.length;
  const coords = new Int32Array(pos.length * nd);
  for (let k = 0; k < pos.length; k++) {
    let p = pos[k]!;
    for (let d = nd - 1; d >= 0; d--) {
      const s = shape[d]!;
      coords[k * nd + d] = p % s;
      p = Math.floor(p / s);
    }
  }
  return { coords, n: pos.length };
}

function nonzeroResult(x: Tensor, host: ArrayLike<number>, asTuple: boolean): Tensor | Tensor[] {
  const { coords, n } = nonzeroHost(host, x.shape);
  const nd = x.ndim;
  if (!asTuple) return fromHost(coords, [n, nd], 'int32', x.device);
  if (nd === 0) return [fromHost(new Int32Array(n), [n], 'int32', x.device)];
  const out: Tensor[] = [];
  for (let d = 0; d < nd; d++) {
    const col = new Int32Array(n);
    for (let k = 0; k < n; k++) col[k] = coords[k * nd + d]!;
    out.push(fromHost(col, [n], 'int32', x.device));
  }
  return out;
}

/** Options of `nonzero`. */
export interface NonzeroOptions {
  /** Return one 1-D index tensor per dim (`torch.nonzero(x, as_tuple=True)`). */
  asTuple?: boolean;
}

/**
 * `torch.nonzero(x)`: int32 [n, ndim] coordinates of the nonzero elements (row-major order);
 * `{ asTuple: true }` gives one 1-D tensor per dim. Reads synchronously (CPU); elsewhere use
 * `nonzeroAsync`.
 */
export function nonzero(x: Tensor, options?: NonzeroOptions & { asTuple?: false }): Tensor;
export function nonzero(x: Tensor, options: NonzeroOptions & { asTuple: true }): Tensor[];
export function nonzero(x: Tensor, options: NonzeroOptions = {}): Tensor | Tensor[] {
  return nonzeroResult(x, readSync(x, 'nonzero', 'nonzeroAsync'), options.asTuple ?? false);
}

/** `nonzero` on every device: reads the values asynchronously; int32 [n, ndim] coordinates. */
export async function nonzeroAsync(x: Tensor, options?: NonzeroOptions & { asTuple?: false }): Promise<Tensor>;
/** `nonzeroAsync(x, { asTuple: true })`: one 1-D index tensor per dim. */
export async function nonzeroAsync(x: Tensor, options: NonzeroOptions & { asTuple: true }): Promise<Tensor[]>;
export async function nonzeroAsync(x: Tensor, options: NonzeroOptions = {}): Promise<Tensor | Tensor[]> {
  return nonzeroResult(x, await x.data(), options.asTuple ?? false);
}

/** `torch.argwhere(x)`: `nonzero(x)`. */
export function argwhere(x: Tensor): Tensor {
  return nonzero(x);
}

// ---- oneHot ------------------------------------------------------------------------------------------------------

/**
 * `F.one_hot(labels, num_classes=-1)`: int32 [..., numClasses]. With -1 the class count is
 * `max(labels) + 1`, which needs a synchronous read (pass `numClasses` on other devices).
 */
export function oneHot(labels: Tensor, numClasses = -1): Tensor {
  if (labels.dtype !== 'int32') throw new DTypeError(`one_hot is only applicable to index tensor of dtype int32 (got ${labels.dtype})`);
  if (!Number.isInteger(numClasses) || numClasses < -1) throw new ValueError(`one_hot: num_classes must be -1 or non-negative (got ${numClasses})`);
  let n = numClasses;
  if (labels.backend.canReadSync && labels.numel() > 0) {
    const host = labels.dataSync();
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < host.length; i++) {
      lo = Math.min(lo, host[i]!);
      hi = Math.max(hi, host[i]!);
    }
    if (lo < 0) throw new ValueError('one_hot: Class values must be non-negative.');
    if (n === -1) n = hi + 1;
    else if (hi >= n) throw new ValueError('one_hot: Class values must be smaller than num_classes.');
  } else if (n === -1) {
    if (labels.numel() === 0) throw new ValueError('one_hot: Can not infer total number of classes from empty tensor.');
    throw new DeviceError(`one_hot(): inferring num_classes needs a synchronous read on '${labels.device}'; pass numClasses explicitly`);
  }
  return withTemps((tmp) => {
    const classes = tmp(arange(n, { dtype: 'int32', device: labels.device }));
    const hit = tmp(eq(tmp(unsqueeze(labels, -1)), classes));
    return cast(hit, 'int32');
  });
}

// ---- subscripts: x.index(...) and x.set(...) --------------------------------------------------------------------

/** A Python slice `start:stop:step`; missing parts take their defaults. */
export interface SliceSpec {
  /** First index (default 0; negative counts from the end). */
  start?: number | null;
  /** One past the last index (default: the dim's size; negative counts from the end). */
  stop?: number | null;
  /** Step (default 1; must be positive, as in PyTorch). */
  step?: number | null;
}

/**
 * One subscript item: a number (select), a slice string (`'1:'`, `'::2'`, `':-1'`), `'...'`,
 * `null` or `'None'` (new axis), a `{ start, stop, step }` object, an int32 tensor or number
 * array (advanced indexing), or a bool tensor (mask).
 */
export type IndexItem = number | string | null | SliceSpec | Tensor | readonly number[] | readonly boolean[];

type Parsed =
  | { kind: 'int'; value: number }
  | { kind: 'slice'; start?: number | null; stop?: number | null; step?: number | null }
  | { kind: 'none' }
  | { kind: 'ellipsis' }
  | { kind: 'tensor'; t: Tensor };

function parseInt10(s: string, whole: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new ValueError(`index: cannot parse '${whole}' as an index`);
  return Number.parseInt(s, 10);
}

function parseString(raw: string): Parsed {
  const s = raw.trim();
  if (s === '...' || s === 'Ellipsis') return { kind: 'ellipsis' };
  if (s === 'None' || s === 'none' || s === 'null') return { kind: 'none' };
  if (s.includes(':')) {
    const parts = s.split(':').map((p) => p.trim());
    if (parts.length > 3) throw new ValueError(`index: cannot parse '${raw}' as a slice`);
    const [a, b, c] = parts.map((p) => (p === '' ? undefined : parseInt10(p, raw)));
    return { kind: 'slice', start: a, stop: b, step: c };
  }
  return { kind: 'int', value: parseInt10(s, raw) };
}

function parseItems(items: readonly IndexItem[], device: Tensor['device'], tmp: (t: Tensor) => Tensor): Parsed[] {
  const out: Parsed[] = [];
  for (const item of items) {
    if (item === null) out.push({ kind: 'none' });
    else if (typeof item === 'number') {
      if (!Number.isInteger(item)) throw new IndexError(`index: only integers, slices, '...', None and int32/bool tensors are valid indices (got ${item})`);
      out.push({ kind: 'int', value: item });
    } else if (typeof item === 'string') {
      const parts = item.includes(',') ? item.split(',').filter((p) => p.trim() !== '') : [item];
      for (const p of parts) out.push(parseString(p));
    } else if (item instanceof Tensor) out.push({ kind: 'tensor', t: item });
    else if (Array.isArray(item)) {
      const isBool = item.length > 0 && item.every((v) => typeof v === 'boolean');
      const data = isBool ? Uint8Array.from(item as boolean[], (v) => (v ? 1 : 0)) : Int32Array.from(item as number[]);
      out.push({ kind: 'tensor', t: tmp(fromHost(data, [item.length], isBool ? 'bool' : 'int32', device)) });
    } else if (typeof item === 'object') {
      const spec = item as SliceSpec;
      out.push({ kind: 'slice', start: spec.start, stop: spec.stop, step: spec.step });
    } else throw new IndexError(`index: invalid index item ${String(item)}`);
  }
  return out;
}

interface Advanced {
  /** Dim of the basic-indexed view this index applies to. */
  pos: number;
  t: Tensor;
  /** Dim of the original tensor, for messages. */
  srcDim: number;
}

/** Applies the basic items (ints, slices, None, ...) as views; returns the view and the advanced items. */
function basicIndex(x: Tensor, parsed: readonly Parsed[]): { view: Tensor; adv: Advanced[] } {
  let consumed = 0;
  let ellipses = 0;
  for (const p of parsed) {
    if (p.kind === 'int' || p.kind === 'slice') consumed++;
    else if (p.kind === 'tensor') {
      if (p.t.dtype === 'bool') consumed += p.t.ndim;
      else if (p.t.dtype === 'int32') consumed++;
      else throw new DTypeError(`index: tensors used as indices must be int32 or bool tensors (got ${p.t.dtype})`);
    } else if (p.kind === 'ellipsis') ellipses++;
  }
  if (ellipses > 1) throw new IndexError("an index can only have a single ellipsis ('...')");
  if (consumed > x.ndim) throw new IndexError(`too many indices for tensor of dimension ${x.ndim}`);
  let cur = x;
  const step = (next: Tensor): void => {
    if (cur !== x) cur.dispose();
    cur = next;
  };
  const adv: Advanced[] = [];
  let dim = 0;
  let srcDim = 0;
  try {
    for (const p of parsed) {
      switch (p.kind) {
        case 'int': {
          const size = cur.shape[dim]!;
          if (p.value < -size || p.value >= size) throw new IndexError(`index ${p.value} is out of bounds for dimension ${srcDim} with size ${size}`);
          step(call1(selectDef, [cur], { dim, index: p.value < 0 ? p.value + size : p.value }));
          srcDim++;
          break;
        }
        case 'slice':
          step(call1(sliceDef, [cur], { dim, ...normalizeSlice(cur.shape[dim]!, p.start, p.stop, p.step) }));
          dim++;
          srcDim++;
          break;
        case 'none':
          step(unsqueeze(cur, dim));
          dim++;
          break;
        case 'ellipsis':
          dim += x.ndim - consumed;
          srcDim += x.ndim - consumed;
          break;
        case 'tensor': {
          const t = p.t;
          if (t.dtype === 'bool') {
            if (t.ndim === 0) throw new IndexError('index: a 0-dim bool mask is not supported; use where()');
            for (let i = 0; i < t.ndim; i++) {
              if (t.shape[i] !== cur.shape[dim + i]) {
                throw new IndexError(
                  `The shape of the mask ${fmtShape(t.shape)} at index ${i} does not match the shape of the indexed tensor ${fmtShape(x.shape)} at index ${srcDim + i}`,
                );
              }
            }
            adv.push({ pos: dim, t, srcDim });
            dim += t.ndim;
            srcDim += t.ndim;
          } else {
            adv.push({ pos: dim, t, srcDim });
            dim++;
            srcDim++;
          }
          break;
        }
      }
    }
  } catch (err) {
    if (cur !== x) cur.dispose();
    throw err;
  }
  return { view: cur === x ? alias(x) : cur, adv };
}

/** Wraps negative indices of an advanced index into [0, size) and checks bounds (host-side where possible). */
function normalizeAdvanced(t: Tensor, size: number, srcDim: number, tmp: (t: Tensor) => Tensor): Tensor {
  if (!t.backend.canReadSync) return tmp(where(tmp(lt(t, 0)), tmp(add(t, size)), t));
  const host = t.dataSync() as Int32Array;
  let negative = false;
  for (let i = 0; i < host.length; i++) {
    const v = host[i]!;
    if (v < -size || v >= size) throw new IndexError(`index ${v} is out of bounds for dimension ${srcDim} with size ${size}`);
    if (v < 0) negative = true;
  }
  if (!negative) return t;
  const wrapped = new Int32Array(host.length);
  for (let i = 0; i < host.length; i++) wrapped[i] = host[i]! < 0 ? host[i]! + size : host[i]!;
  return tmp(fromHost(wrapped, t.shape, 'int32', t.device));
}

interface AdvancedPlan {
  /** Advanced dims of the view, ascending. */
  pos: number[];
  /** Normalised int32 indices, one per advanced dim. */
  idx: Tensor[];
  /** Broadcast shape of the indices. */
  b: number[];
  /** The other dims of the view, in order. */
  others: number[];
  /** Whether the advanced dims are adjacent (their result goes in their place, else first). */
  adjacent: boolean;
}

/** Turns masks into int indices (a host read) and checks/wraps every index. */
function planAdvanced(v: Tensor, adv: readonly Advanced[], tmp: (t: Tensor) => Tensor): AdvancedPlan {
  const pos: number[] = [];
  const idx: Tensor[] = [];
  for (const a of adv) {
    if (a.t.dtype === 'bool') {
      const host = readSync(a.t, 'index', 'maskedSelectAsync');
      const { coords, n } = nonzeroHost(host, a.t.shape);
      const k = a.t.ndim;
      for (let d = 0; d < k; d++) {
        const col = new Int32Array(n);
        for (let i = 0; i < n; i++) col[i] = coords[i * k + d]!;
        pos.push(a.pos + d);
        idx.push(tmp(fromHost(col, [n], 'int32', v.device)));
      }
    } else {
      commonDevice([v, a.t], 'index');
      pos.push(a.pos);
      idx.push(normalizeAdvanced(a.t, v.shape[a.pos]!, a.srcDim, tmp));
    }
  }
  const b = broadcastAll(idx.map((t) => t.shape), 'index');
  const others = v.shape.map((_, d) => d).filter((d) => !pos.includes(d));
  const adjacent = pos.every((p, i) => i === 0 || p === pos[i - 1]! + 1);
  return { pos, idx, b, others, adjacent };
}

/** Shape of `v[advanced]`. */
function resultShape(v: Tensor, plan: AdvancedPlan): number[] {
  const otherSizes = plan.others.map((d) => v.shape[d]!);
  if (!plan.adjacent) return [...plan.b, ...otherSizes];
  const p0 = plan.pos[0]!;
  return [...v.shape.slice(0, p0), ...plan.b, ...v.shape.slice(p0 + plan.pos.length)];
}

/** The row-major linear index into the advanced dims (flattened together), as a 1-D tensor. */
function linearIndex(v: Tensor, plan: AdvancedPlan, tmp: (t: Tensor) => Tensor): Tensor {
  let lin: Tensor | null = null;
  let stride = 1;
  for (let k = plan.pos.length - 1; k >= 0; k--) {
    const term = stride === 1 ? plan.idx[k]! : tmp(mul(plan.idx[k]!, stride));
    lin = lin ? tmp(add(lin, term)) : term;
    stride *= v.shape[plan.pos[k]!]!;
  }
  return tmp(reshape(tmp(expand(lin!, plan.b)), [-1]));
}

/** Permutation that moves the block of dims [p0, p0 + nb) of an `ndim`-dim tensor to the front. */
function toFront(ndim: number, p0: number, nb: number): number[] {
  const perm: number[] = [];
  for (let i = 0; i < nb; i++) perm.push(p0 + i);
  for (let i = 0; i < p0; i++) perm.push(i);
  for (let i = p0 + nb; i < ndim; i++) perm.push(i);
  return perm;
}

function advancedGet(v: Tensor, plan: AdvancedPlan, tmp: (t: Tensor) => Tensor): Tensor {
  const otherSizes = plan.others.map((d) => v.shape[d]!);
  if (plan.pos.length === 1) {
    const d = plan.pos[0]!;
    const ix = plan.idx[0]!;
    const flat = ix.ndim === 1 ? ix : tmp(reshape(ix, [-1]));
    const sel = call1(indexSelectDef, [v, flat], { dim: d });
    if (ix.ndim === 1) return sel;
    tmp(sel);
    return reshape(sel, resultShape(v, plan));
  }
  const p = tmp(permute(v, [...plan.pos, ...plan.others]));
  const n = numelOf(plan.pos.map((d) => v.shape[d]!));
  const f = tmp(reshape(p, [n, ...otherSizes]));
  const sel = tmp(call1(indexSelectDef, [f, linearIndex(v, plan, tmp)], { dim: 0 }));
  const front = [...plan.b, ...otherSizes];
  if (!plan.adjacent || plan.pos[0] === 0) return reshape(sel, front);
  const shaped = tmp(reshape(sel, front));
  return permute(shaped, toPlace(front.length, plan.b.length, plan.pos[0]!));
}

/** Moves the leading block of `nb` dims to position `p0`. */
function toPlace(ndim: number, nb: number, p0: number): number[] {
  // Result dim i comes from: before the block, the others that preceded p0; then the block; then the rest.
  const perm: number[] = [];
  for (let i = 0; i < p0; i++) perm.push(nb + i);
  for (let i = 0; i < nb; i++) perm.push(i);
  for (let i = nb + p0; i < ndim; i++) perm.push(i);
  return perm;
}

/**
 * `x[items]` in PyTorch's syntax: `x.index(1)`, `x.index('1:, ::2')`, `x.index(null, '...', 0)`,
 * `x.index(idx)` (int32 tensor: rows, negative wrapped), `x.index(mask)` (bool tensor: the
 * selected elements). Basic items give a view sharing storage; tensor items give a copy.
 */
export function index(x: Tensor, ...items: IndexItem[]): Tensor {
  return withTemps((tmp) => {
    const parsed = parseItems(items, x.device, tmp);
    const { view: v, adv } = basicIndex(x, parsed);
    if (adv.length === 0) return v;
    tmp(v);
    return advancedGet(v, planAdvanced(v, adv, tmp), tmp);
  });
}

function valueTensor(value: Tensor | Scalar, like: Tensor, tmp: (t: Tensor) => Tensor): Tensor {
  if (!(value instanceof Tensor)) return tmp(scalarTensor(value, like.dtype, like.device));
  commonDevice([like, value], 'index_put_');
  return value.dtype === like.dtype ? value : tmp(cast(value, like.dtype));
}

/** `x.index_copy(dim, index, src)` out of place, written with the scatter primitive. */
function indexCopyOutOfPlace(t: Tensor, dim: number, idx: Tensor, src: Tensor, tmp: (t: Tensor) => Tensor): Tensor {
  const shape1 = t.shape.map((_, d) => (d === dim ? idx.numel() : 1));
  const ie = tmp(expand(tmp(reshape(idx, shape1)), src.shape));
  return call1(scatterDef, [t, ie, src], { dim });
}

/**
 * `x[items] = value`, in place: basic items write through the view; int32 tensors write the
 * indexed rows; bool masks write the selected elements. `value` is a number or a tensor
 * broadcastable to `x.index(items)`'s shape, converted to x's dtype. Returns `x`.
 */
export function setIndex(x: Tensor, items: IndexItem | readonly IndexItem[], value: Tensor | Scalar): Tensor {
  const list: readonly IndexItem[] = Array.isArray(items) && !isDataArray(items) ? (items as readonly IndexItem[]) : [items as IndexItem];
  withTemps((tmp) => {
    const parsed = parseItems(list, x.device, tmp);
    const { view: v, adv } = basicIndex(x, parsed);
    tmp(v);
    if (adv.length === 0) {
      copy_(v, value);
      return;
    }
    const only = adv[0]!;
    const trailing = v.ndim - only.pos - only.t.ndim;
    if (adv.length === 1 && only.t.dtype === 'bool' && (!(value instanceof Tensor) || value.ndim <= trailing)) {
      // A mask and a value that does not vary along the selection: where(), no host read.
      const m = tmp(reshape(only.t, [...new Array<number>(only.pos).fill(1), ...only.t.shape, ...new Array<number>(trailing).fill(1)]));
      const r = tmp(where(m, valueTensor(value, v, tmp), v));
      copyBack(v, r, 'index_put_');
      return;
    }
    const plan = planAdvanced(v, adv, tmp);
    const g = resultShape(v, plan);
    const val = valueTensor(value, v, tmp);
    let ve: Tensor;
    try {
      ve = tmp(expand(val, g));
    } catch {
      throw new ShapeError(`shape mismatch: value tensor of shape ${fmtShape(val.shape)} cannot be broadcast to indexing result of shape ${fmtShape(g)}`);
    }
    const nb = plan.b.length;
    const vFront = plan.adjacent && plan.pos[0]! > 0 ? tmp(permute(ve, toFront(g.length, plan.pos[0]!, nb))) : ve;
    const otherSizes = plan.others.map((d) => v.shape[d]!);
    const src = tmp(reshape(vFront, [numelOf(plan.b), ...otherSizes]));
    const p = tmp(permute(v, [...plan.pos, ...plan.others]));
    const f = tmp(reshape(p, [numelOf(plan.pos.map((d) => v.shape[d]!)), ...otherSizes]));
    const r = tmp(indexCopyOutOfPlace(f, 0, linearIndex(v, plan, tmp), src, tmp));
    copyBack(p, tmp(reshape(r, p.shape)), 'index_put_');
  });
  return x;
}

/** A boolean array is one mask item, not a list of items. */
function isDataArray(items: readonly unknown[]): boolean {
  return items.length > 0 && items.every((i) => typeof i === 'boolean');
}

// ---- Tensor methods ---------------------------------------------------------------------------------------------

declare module '../core/tensor.js' {
  interface Tensor {
    /** `x.gather(dim, index)`: `out[i][j] = x[i][index[i][j]]` for dim 1 (int32 `index`, shaped as the output). */
    gather(dim: number, index: Tensor): Tensor;
    /** `x.scatter(dim, index, src)`: a copy of `x` with `src` (or a scalar) written at `index` along `dim`. */
    scatter(dim: number, index: Tensor, src: Tensor | Scalar): Tensor;
    /** `x.scatter_add(dim, index, src)`: a copy of `x` with `src` added at `index` along `dim`. */
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    /** `x.index_select(dim, index)`: the slices at the 1-D int32 `index` along `dim` (a copy). */
    indexSelect(dim: number, index: Tensor): Tensor;
    /** `x.index_add(dim, index, source, alpha=1)`: a copy of `x` with alpha · `source` added at `index` along `dim`. */
    indexAdd(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): Tensor;
    /** `x.masked_fill(mask, value)`: a copy with `value` where the bool `mask` (broadcast) is true. */
    maskedFill(mask: Tensor, value: Tensor | Scalar): Tensor;
    /** `x.masked_select(mask)`: the 1-D elements where the bool `mask` (broadcast) is true (CPU; elsewhere `maskedSelectAsync`). */
    maskedSelect(mask: Tensor): Tensor;
    /** `x.nonzero()`: int32 [n, ndim] coordinates of the non-zero elements (CPU; elsewhere `nonzeroAsync`). */
    nonzero(options?: NonzeroOptions & { asTuple?: false }): Tensor;
    /** `x.nonzero(as_tuple=True)`: one 1-D index tensor per dim. */
    nonzero(options: NonzeroOptions & { asTuple: true }): Tensor[];
    /** `x.argwhere()`: `x.nonzero()`. */
    argwhere(): Tensor;
    /** `x[items]`: see `index()`. */
    index(...items: IndexItem[]): Tensor;
    /** `x[items] = value` (in place); returns this. */
    set(items: IndexItem | readonly IndexItem[], value: Tensor | Scalar): this;
  }
}

/** Puts the indexing methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installIndexingMethods(): void {
  Tensor.prototype.gather = function (dim, index) {
    return gather(this, dim, index);
  };
  Tensor.prototype.scatter = function (dim, index, src) {
    return scatter(this, dim, index, src);
  };
  Tensor.prototype.scatterAdd = function (dim, index, src) {
    return scatterAdd(this, dim, index, src);
  };
  Tensor.prototype.indexSelect = function (dim, index) {
    return indexSelect(this, dim, index);
  };
  Tensor.prototype.indexAdd = function (dim, index, source, options) {
    return indexAdd(this, dim, index, source, options);
  };
  Tensor.prototype.maskedFill = function (mask, value) {
    return maskedFill(this, mask, value);
  };
  Tensor.prototype.maskedSelect = function (mask) {
    return maskedSelect(this, mask);
  };
  (Tensor.prototype as unknown as Record<string, unknown>).nonzero = function (this: Tensor, options?: NonzeroOptions) {
    return nonzero(this, options as NonzeroOptions & { asTuple: true });
  };
  Tensor.prototype.argwhere = function () {
    return argwhere(this);
  };
  Tensor.prototype.index = function (...items) {
    return index(this, ...items);
  };
  Tensor.prototype.set = function (items, value) {
    setIndex(this, items, value);
    return this;
  };
}
