/**
 * Collation: turning a list of samples into a batch (`torch.utils.data.default_collate`,
 * `default_convert`) and `padCollate` for variable-length sequences.
 */
import { ValueError, fmtShape, isTensor, stack, tensor, type DType, type Tensor } from '@torchlet/tensor';
import { padSequence, type PadSequenceOptions } from '../text/pad-sequence.js';

/** A function from a list of samples to a batch. */
export type CollateFn<T, B> = (batch: T[]) => B;

type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint8ClampedArray | Int8Array | Int16Array | Uint16Array | Uint32Array;

/** What `defaultCollate` makes of a batch of `T`s. */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean
    ? Tensor
    : T extends ArrayBufferView
      ? Tensor
      : T extends string
        ? string[]
        : T extends readonly unknown[]
          ? { -readonly [K in keyof T]: Collated<T[K]> }
          : T extends object
            ? { -readonly [K in keyof T]: Collated<T[K]> }
            : never;

/** A sample that cannot be collated: names the position in the batch and the field. */
export class CollateError extends ValueError {
  /** Position of the offending sample in the batch. */
  readonly batchIndex: number;
  /** Path of the field inside the sample (`''` for the sample itself), e.g. `label` or `[1].ids`. */
  readonly field: string;
  /** What was wrong with the sample. */
  readonly detail: string;

  constructor(detail: string, batchIndex: number, field: string) {
    super(`defaultCollate: ${detail} (batch item ${batchIndex}${field ? `, field '${field}'` : ''})`);
    this.name = 'CollateError';
    this.batchIndex = batchIndex;
    this.field = field;
    this.detail = detail;
  }
}

/** Options of `defaultCollate` / `makeCollate`. */
export interface CollateOptions {
  /**
   * dtype of a batch of numbers. `'auto'` (default): int32 when every number in the batch
   * is an integer (class labels, token ids: PyTorch's int64 "Long"), else float32.
   * JavaScript cannot tell `2` from `2.0`: give a dtype (or use typed arrays) for
   * real-valued targets that may all be whole numbers in one batch.
   */
  numberDType?: DType | 'auto';
}

function kind(x: unknown): string {
  if (x === null) return 'null';
  if (isTensor(x)) return 'a Tensor';
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}`;
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null ? 'an object' : `a ${(x as object).constructor?.name ?? 'object'}`;
  return `a ${typeof x}`;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
}

function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function sameKind(batch: readonly unknown[], path: string, ok: (x: unknown) => boolean): void {
  for (let i = 1; i < batch.length; i++) {
    if (!ok(batch[i])) throw new CollateError(`expected ${kind(batch[0])} like item 0, got ${kind(batch[i])}`, i, path);
  }
}

/**
 * Typed arrays → (dtype, host array type). Torchlet has no uint8/int8/int16 dtypes: small
 * integer arrays (pixels in a `Uint8Array` or `Uint8ClampedArray` included) widen to int32
 * so their values survive; `Uint32Array` widens to float64.
 */
const TYPED: ReadonlyMap<unknown, readonly [DType, new (n: number) => TypedArray]> = new Map<unknown, readonly [DType, new (n: number) => TypedArray]>([
  [Float32Array, ['float32', Float32Array]],
  [Float64Array, ['float64', Float64Array]],
  [Int32Array, ['int32', Int32Array]],
  [Uint8Array, ['int32', Int32Array]],
  [Uint8ClampedArray, ['int32', Int32Array]],
  [Int8Array, ['int32', Int32Array]],
  [Int16Array, ['int32', Int32Array]],
  [Uint16Array, ['int32', Int32Array]],
  [Uint32Array, ['float64', Float64Array]],
]);

function collateNumbers(batch: readonly unknown[], path: string, options: CollateOptions): Tensor {
  const n = batch.length;
  let allInt = true;
  for (let i = 0; i < n; i++) {
    const v = batch[i];
    if (typeof v !== 'number') throw new CollateError(`expected a number like item 0, got ${kind(v)}`, i, path);
    if (allInt && !Number.isInteger(v)) allInt = false;
  }
  const want = options.numberDType ?? 'auto';
  const dtype: DType = want === 'auto' ? (allInt && batch.every((v) => Math.abs(v as number) <= 0x7fffffff) ? 'int32' : 'float32') : want;
  if (dtype === 'int32') return tensor(Int32Array.from(batch as number[]));
  if (dtype === 'float64') return tensor(Float64Array.from(batch as number[]));
  if (dtype === 'float32') return tensor(Float32Array.from(batch as number[]));
  return tensor(batch as number[], { dtype });
}

function collateTyped(batch: readonly unknown[], path: string): Tensor {
  const first = batch[0] as TypedArray;
  const Ctor = first.constructor;
  const spec = TYPED.get(Ctor);
  if (!spec) throw new CollateError(`unsupported typed array ${Ctor.name}`, 0, path);
  const len = first.length;
  batch.forEach((b, i) => {
    if (!(b instanceof (Ctor as typeof Float32Array))) throw new CollateError(`expected a ${Ctor.name} like item 0, got ${kind(b)}`, i, path);
    if ((b as TypedArray).length !== len) {
      throw new CollateError(`typed arrays must have equal length to stack, but got ${len} at item 0 and ${(b as TypedArray).length} at item ${i}`, i, path);
    }
  });
  const out = new spec[1](len * batch.length);
  batch.forEach((b, i) => out.set(b as TypedArray, i * len));
  return tensor(out as Float32Array, { dtype: spec[0], shape: [batch.length, len] });
}

function collateTensors(batch: readonly unknown[], path: string): Tensor {
  const ref = batch[0] as Tensor;
  for (let i = 0; i < batch.length; i++) {
    const t = batch[i];
    if (!isTensor(t)) throw new CollateError(`expected a Tensor like item 0, got ${kind(t)}`, i, path);
    if (t.ndim !== ref.ndim || t.shape.some((n, k) => n !== ref.shape[k])) {
      throw new CollateError(`stack expects each tensor to be equal size, but got ${fmtShape(ref.shape)} at item 0 and ${fmtShape(t.shape)} at item ${i}`, i, path);
    }
    if (t.device !== ref.device) throw new CollateError(`tensors on different devices: '${ref.device}' at item 0 and '${t.device}' at item ${i}`, i, path);
  }
  return stack(batch as Tensor[], 0);
}

function collateAt(batch: readonly unknown[], path: string, options: CollateOptions): unknown {
  const elem = batch[0];
  if (isTensor(elem)) return collateTensors(batch, path);
  if (typeof elem === 'number') return collateNumbers(batch, path, options);
  if (typeof elem === 'boolean') {
    sameKind(batch, path, (x) => typeof x === 'boolean');
    return tensor(Uint8Array.from(batch as boolean[], (b) => (b ? 1 : 0)), { dtype: 'bool' });
  }
  if (typeof elem === 'string') {
    sameKind(batch, path, (x) => typeof x === 'string');
    return [...batch];
  }
  if (ArrayBuffer.isView(elem) && !(elem instanceof DataView)) return collateTyped(batch, path);
  if (Array.isArray(elem)) {
    const len = elem.length;
    batch.forEach((b, i) => {
      if (!Array.isArray(b)) throw new CollateError(`expected an array like item 0, got ${kind(b)}`, i, path);
      if (b.length !== len) throw new CollateError(`each element in list of batch should be of equal size (item 0 has ${len}, item ${i} has ${b.length})`, i, path);
    });
    return collateColumns(len, (j) => [batch.map((b) => (b as unknown[])[j]), joinPath(path, j)], options);
  }
  if (isPlainObject(elem)) {
    const keys = Object.keys(elem);
    batch.forEach((b, i) => {
      if (!isPlainObject(b)) throw new CollateError(`expected an object like item 0, got ${kind(b)}`, i, path);
      for (const k of keys) if (!(k in b)) throw new CollateError(`missing key '${k}' that item 0 has`, i, path);
    });
    const cols = collateColumns(keys.length, (j) => [batch.map((b) => (b as Record<string, unknown>)[keys[j]!]), joinPath(path, keys[j]!)], options);
    const out: Record<string, unknown> = {};
    keys.forEach((k, j) => (out[k] = cols[j]));
    return out;
  }
  throw new CollateError(`batch must contain tensors, numbers, booleans, strings, typed arrays, arrays or objects; found ${kind(elem)}`, 0, path);
}

/** Collates columns one by one, disposing what was already built if a later column fails. */
function collateColumns(n: number, column: (j: number) => [unknown[], string], options: CollateOptions): unknown[] {
  const out: unknown[] = [];
  try {
    for (let j = 0; j < n; j++) {
      const [values, p] = column(j);
      out.push(collateAt(values, p, options));
    }
    return out;
  } catch (err) {
    for (const v of out) disposeDeep(v);
    throw err;
  }
}

function disposeDeep(v: unknown): void {
  if (isTensor(v)) v.dispose();
  else if (Array.isArray(v)) v.forEach(disposeDeep);
  else if (isPlainObject(v)) Object.values(v).forEach(disposeDeep);
}

/**
 * `torch.utils.data.default_collate`: tensors are stacked along a new dim 0; numbers become
 * a 1-D tensor (int32 if all are integers, else float32; see `CollateOptions`); booleans a
 * bool tensor; typed arrays of equal length a `[B, L]` tensor of their dtype; strings stay a
 * list; arrays (tuples) and plain objects are collated field by field, keeping their
 * structure. A sample that does not fit the first one's structure throws a `CollateError`
 * naming its position in the batch and the field.
 *
 * ```ts
 * defaultCollate([{ x: tensor([1, 2]), y: 0 }, { x: tensor([3, 4]), y: 1 }]);
 * // { x: Tensor [2, 2], y: Tensor int32 [0, 1] }
 * ```
 */
export function defaultCollate<T>(batch: readonly T[], options: CollateOptions = {}): Collated<T> {
  if (batch.length === 0) throw new ValueError('defaultCollate: cannot collate an empty batch');
  return collateAt(batch, '', options) as Collated<T>;
}

/** A `defaultCollate` with options, for `DataLoader({ collateFn })`. */
export function makeCollate<T>(options: CollateOptions): CollateFn<T, Collated<T>> {
  return (batch) => defaultCollate(batch, options);
}

/**
 * `torch.utils.data.default_convert`, used when automatic batching is off
 * (`batchSize: null`): typed arrays become tensors, arrays and objects are converted field by
 * field, everything else (tensors included) is returned as it is.
 */
export function defaultConvert<T>(sample: T): unknown {
  if (ArrayBuffer.isView(sample) && !(sample instanceof DataView)) {
    const spec = TYPED.get(sample.constructor);
    if (!spec) throw new ValueError(`defaultConvert: unsupported typed array ${sample.constructor.name}`);
    const src = sample as unknown as TypedArray;
    let host: TypedArray = src;
    if (!(src instanceof spec[1])) {
      host = new spec[1](src.length);
      host.set(src);
    }
    return tensor(host as Float32Array, { dtype: spec[0] });
  }
  if (Array.isArray(sample)) return sample.map((s) => defaultConvert(s));
  if (isPlainObject(sample)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(sample)) out[k] = defaultConvert(v);
    return out;
  }
  return sample;
}

// ---- padCollate ---------------------------------------------------------------------------

/** A padded batch of variable-length sequences. */
export interface PaddedBatch<R = unknown> {
  /** `[T, B, *]`, or `[B, T, *]` with `batchFirst` (PyTorch's `pad_sequence` layout). */
  padded: Tensor;
  /** int32 `[B]` on the CPU: each sequence's length, as `packPaddedSequence` expects. */
  lengths: Tensor;
  /** The other fields of tuple samples `[sequence, ...rest]`, collated by `defaultCollate`; absent for bare tensors. */
  rest?: R;
}

/** Options of `padCollate`: those of `padSequence` and of `defaultCollate`. */
export interface PadCollateOptions extends PadSequenceOptions, CollateOptions {}

/**
 * Collate for variable-length sequences: samples are tensors `[L_i, *]`, or tuples
 * `[sequence, ...rest]` (e.g. `[tokenIds, label]`). Returns `{ padded, lengths, rest }`:
 * `padded` as `padSequence` lays it out, `lengths` int32 on the CPU (ready for
 * `packPaddedSequence(padded, lengths, { batchFirst, enforceSorted: false })`), `rest` the
 * collated remaining fields (`rest[0]` are the labels of `[ids, label]` samples).
 *
 * ```ts
 * new DataLoader(ds, { batchSize: 32, collateFn: (b) => padCollate(b, { batchFirst: true }) });
 * ```
 */
export function padCollate(batch: readonly (Tensor | readonly [Tensor, ...unknown[]])[], options: PadCollateOptions = {}): PaddedBatch<unknown[]> {
  if (batch.length === 0) throw new ValueError('padCollate: cannot collate an empty batch');
  const tuples = !isTensor(batch[0]);
  const seqs = batch.map((b, i) => {
    const s = tuples ? (Array.isArray(b) ? b[0] : undefined) : b;
    if (!isTensor(s)) {
      throw new CollateError(`padCollate expects tensors or [sequence, ...rest] tuples like item 0, got ${kind(tuples ? s : b)}`, i, tuples ? '[0]' : '');
    }
    if (s.ndim === 0) throw new CollateError('padCollate: sequences must have at least one dimension (got a 0-d tensor)', i, tuples ? '[0]' : '');
    return s;
  });
  const lengths = tensor(Int32Array.from(seqs, (s) => s.shape[0]!));
  let padded: Tensor | undefined;
  try {
    padded = padSequence(seqs, options);
    if (!tuples) return { padded, lengths };
    const restItems = batch.map((b) => (b as readonly unknown[]).slice(1));
    const rest = collateAt(restItems, '', options) as unknown[];
    return { padded, lengths, rest };
  } catch (err) {
    lengths.dispose();
    padded?.dispose();
    if (err instanceof CollateError && tuples && err.field.startsWith('[')) {
      // Re-index the field: rest[j] is sample[j + 1].
      const field = err.field.replace(/^\[(\d+)\]/, (_, j: string) => `[${Number(j) + 1}]`);
      throw new CollateError(err.detail, err.batchIndex, field);
    }
    throw err;
  }
}
