/**
 * Host-side helpers for the conformance suite: building buffers and strided views from
 * plain numbers, reading views back, a naive strided evaluator and a PyTorch-style
 * closeness assertion. Everything here is deliberately simple and backend-agnostic; it
 * only uses the `Backend` interface and asynchronous reads.
 */
import type { Backend, BackendBuffer, TensorView } from '../backend.js';
import { DTYPE_INFO, isFloating, type DType, type HostArray } from '../dtype.js';
import { contiguousStrides } from '../layout.js';

// ---- shapes and indices ---------------------------------------------------------------

/** Number of elements of `shape` (1 for rank 0). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major multi-index of flat position `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    idx[i] = flat % d;
    flat = Math.floor(flat / d);
  }
  return idx;
}

/** Flat row-major position of multi-index `idx` in `shape`. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i]! + idx[i]!;
  return flat;
}

/** Memory position of `idx` in a strided view. */
export function stridedOffset(idx: readonly number[], strides: readonly number[], offset: number): number {
  let p = offset;
  for (let i = 0; i < idx.length; i++) p += idx[i]! * strides[i]!;
  return p;
}

/** Formats a multi-index the way PyTorch's messages do: `(1, 2)`. */
export function formatIndex(idx: readonly number[]): string {
  return idx.length === 1 ? `(${idx[0]},)` : `(${idx.join(', ')})`;
}

/**
 * The naive strided evaluator: the logical (row-major) values of the view
 * `(shape, strides, offset)` over `data`.
 */
export function stridedValues(
  data: ArrayLike<number>,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): number[] {
  const n = numel(shape);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const p = stridedOffset(unravel(i, shape), strides, offset);
    if (p < 0 || p >= data.length) throw new RangeError(`stridedValues: element ${i} at ${p} is outside the buffer (${data.length})`);
    out[i] = data[p]!;
  }
  return out;
}

/** Strides that broadcast a view of `shape`/`strides` to `target` (PyTorch rules, stride 0 on broadcast axes). */
export function broadcastStrides(shape: readonly number[], strides: readonly number[], target: readonly number[]): number[] {
  const lead = target.length - shape.length;
  if (lead < 0) throw new Error(`broadcastStrides: cannot broadcast [${shape.join(', ')}] to [${target.join(', ')}]`);
  return target.map((t, i) => {
    if (i < lead) return 0;
    const d = shape[i - lead]!;
    if (d === t) return d === 1 ? 0 : strides[i - lead]!;
    if (d === 1) return 0;
    throw new Error(`broadcastStrides: cannot broadcast [${shape.join(', ')}] to [${target.join(', ')}]`);
  });
}

/** Expands row-major `values` of `shape` to `target` (the reference side of a stride-0 broadcast). */
export function broadcastValues(values: readonly number[], shape: readonly number[], target: readonly number[]): number[] {
  return stridedValues(values, target, broadcastStrides(shape, contiguousStrides(shape), target), 0);
}

// ---- dtypes -----------------------------------------------------------------------------


/** IEEE binary16 bits of `x` (round half to even, overflow to infinity). */
export function f32ToF16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  // Work in float64: exponent and a mantissa rounded to 10 bits (or to the subnormal grid).
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  if (e < -14) {
    const m = roundHalfEven(a / 2 ** -24); // subnormal: units of 2^-24
    return sign | m; // m may reach 1024, which is the smallest normal: the bits line up
  }
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

/** The number a binary16 bit pattern holds. */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Round half to even, as PyTorch's `round`. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  // Math.round rounds half up; fix exact halves to the even neighbour.
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `x` as the nearest value `dtype` can hold (ints wrap like two's complement, bool is `!= 0`). */
export function roundToDType(dtype: DType, x: number): number {
  switch (dtype) {
    case 'float64':
      return x;
    case 'float32':
      return Math.fround(x);
    case 'float16':
      return f16BitsToF32(f32ToF16Bits(x));
    case 'int32':
      return x | 0; // ToInt32: truncate, then wrap modulo 2^32
    case 'bool':
      return x !== 0 ? 1 : 0;
  }
}

/** A host array of `dtype` holding `values` (float16 as bits). */
export function toHostArray(dtype: DType, values: ArrayLike<number>): HostArray {
  const arr = new DTYPE_INFO[dtype].HostArray(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    arr[i] = dtype === 'float16' ? f32ToF16Bits(v) : dtype === 'bool' ? (v !== 0 ? 1 : 0) : v;
  }
  return arr;
}

/** Plain numbers from a host array of `dtype` (float16 bits decoded). */
export function fromHostArray(dtype: DType, arr: ArrayLike<number>): number[] {
  const out = new Array<number>(arr.length);
  for (let i = 0; i < arr.length; i++) out[i] = dtype === 'float16' ? f16BitsToF32(arr[i]!) : arr[i]!;
  return out;
}

// ---- views and buffers ------------------------------------------------------------------

/** A `TensorView` over `buffer`; contiguous strides unless given. */
export function makeView(
  buffer: BackendBuffer,
  shape: readonly number[],
  strides: readonly number[] = contiguousStrides(shape),
  offset = 0,
): TensorView {
  if (strides.length !== shape.length) throw new Error(`makeView: ${shape.length} dims but ${strides.length} strides`);
  return { buffer, dtype: buffer.dtype, shape: [...shape], strides: [...strides], offset };
}

/** alloc + write: a device buffer holding `values`. */
export function uploadBuffer(backend: Backend, dtype: DType, values: ArrayLike<number>): BackendBuffer {
  const buffer = backend.alloc(dtype, values.length);
  if (values.length > 0) backend.write(buffer, toHostArray(dtype, values));
  return buffer;
}

/** The whole buffer as plain numbers (asynchronous read; float16 decoded). */
export async function readBuffer(backend: Backend, buffer: BackendBuffer): Promise<number[]> {
  backend.flush?.();
  return fromHostArray(buffer.dtype, await backend.read(buffer));
}

/** The logical values of a (possibly strided) view, row-major. */
export async function readView(backend: Backend, view: TensorView): Promise<number[]> {
  const data = await readBuffer(backend, view.buffer);
  return stridedValues(data, view.shape, view.strides, view.offset);
}

/**
 * Physical placements of a logical tensor used throughout the suite:
 * - `contiguous`: row-major, offset 0;
 * - `transposed`: stored with its axes reversed (a permuted view);
 * - `strided`: every axis stepped by 2 inside a larger buffer, starting at offset 3.
 */
export type Layout = 'contiguous' | 'transposed' | 'strided';
export const LAYOUTS: readonly Layout[] = ['contiguous', 'transposed', 'strided'];

export interface Placement {
  /** Physical buffer contents (`filler` outside the view). */
  readonly data: number[];
  readonly strides: number[];
  readonly offset: number;
}

/** Lays out row-major `values` of `shape` as `layout` over a fresh physical array. */
export function place(values: readonly number[], shape: readonly number[], layout: Layout, filler: number): Placement {
  const n = numel(shape);
  if (values.length !== n) throw new Error(`place: ${values.length} values for shape [${shape.join(', ')}]`);
  let physSize: number;
  let strides: number[];
  let offset = 0;
  if (layout === 'contiguous') {
    strides = contiguousStrides(shape);
    physSize = n;
  } else if (layout === 'transposed') {
    const physShape = [...shape].reverse();
    strides = contiguousStrides(physShape).reverse();
    physSize = n;
  } else {
    const physShape = shape.map((d) => 2 * d);
    strides = contiguousStrides(physShape).map((s) => 2 * s);
    offset = 3;
    physSize = offset + numel(physShape);
  }
  const data = new Array<number>(physSize).fill(filler);
  for (let i = 0; i < n; i++) data[stridedOffset(unravel(i, shape), strides, offset)] = values[i]!;
  return { data, strides, offset };
}

/** A value no test writes on purpose, used around strided views so stray reads show. */
export function fillerFor(dtype: DType): number {
  if (dtype === 'bool') return 1;
  if (dtype === 'int32') return 1000003;
  return dtype === 'float16' ? 1234.5 : 1000000.5;
}

/** A tensor on the device together with the values it logically holds (after dtype rounding). */
export interface Operand {
  /** The view on the device. */
  readonly view: TensorView;
  /** Row-major logical values, as the device holds them. */
  readonly values: number[];
}

/**
 * Tracks every buffer a test allocates so that each is freed explicitly, even when the
 * test fails half way.
 */
export class BufferScope {
  readonly #live = new Set<BackendBuffer>();

  /** The backend the buffers come from. */
  constructor(
    /** The backend the buffers come from. */
    readonly backend: Backend,
  ) {}

  /** Allocates a buffer the scope will free. */
  alloc(dtype: DType, size: number): BackendBuffer {
    const buffer = this.backend.alloc(dtype, size);
    this.#live.add(buffer);
    return buffer;
  }

  /** Allocates and writes `values` (converted to `dtype`'s host array). */
  upload(dtype: DType, values: ArrayLike<number>): BackendBuffer {
    const buffer = this.alloc(dtype, values.length);
    if (values.length > 0) this.backend.write(buffer, toHostArray(dtype, values));
    return buffer;
  }

  /** Frees one of the scope's buffers now. */
  free(buffer: BackendBuffer): void {
    if (!this.#live.delete(buffer)) throw new Error('BufferScope.free: buffer is not owned by this scope');
    this.backend.free(buffer);
  }

  /** Frees every buffer still held (call it in `finally`). */
  freeAll(): void {
    for (const buffer of this.#live) this.backend.free(buffer);
    this.#live.clear();
  }

  /** Buffers held. */
  get liveCount(): number {
    return this.#live.size;
  }

  /** A fresh contiguous view of `shape` (an op's `out`). */
  empty(dtype: DType, shape: readonly number[]): TensorView {
    return makeView(this.alloc(dtype, numel(shape)), shape);
  }

  /** An input holding row-major `values` of `shape`, placed as `layout`. */
  input(dtype: DType, values: readonly number[], shape: readonly number[], layout: Layout = 'contiguous'): Operand {
    const p = place(values.map((v) => roundToDType(dtype, v)), shape, layout, fillerFor(dtype));
    const buffer = this.upload(dtype, p.data);
    return { view: makeView(buffer, shape, p.strides, p.offset), values: values.map((v) => roundToDType(dtype, v)) };
  }

  /** An input of `shape` broadcast (stride 0) to `target`, its own storage placed as `layout`. */
  broadcast(dtype: DType, values: readonly number[], shape: readonly number[], target: readonly number[], layout: Layout = 'contiguous'): Operand {
    const src = this.input(dtype, values, shape, layout);
    const view = makeView(src.view.buffer, target, broadcastStrides(shape, src.view.strides, target), src.view.offset);
    return { view, values: broadcastValues(src.values, shape, target) };
  }

  /** A rank-0 input holding `value`, stored at offset 2 of a 4-element buffer. */
  scalar(dtype: DType, value: number): Operand {
    const f = fillerFor(dtype);
    const buffer = this.upload(dtype, [f, f, value, f]);
    return { view: makeView(buffer, [], [], 2), values: [roundToDType(dtype, value)] };
  }
}

// ---- closeness ---------------------------------------------------------------------------

/** How `assertClose` compares: |actual − expected| ≤ atol + rtol · |expected|. */
export interface CloseOptions {
  /** Relative tolerance. */
  rtol: number;
  /** Absolute tolerance. */
  atol: number;
  /** NaN equals NaN (default true, as `torch.testing.assert_close(equal_nan=True)`). */
  equalNaN?: boolean;
  /** Logical shape, for index reporting; flat indices otherwise. */
  shape?: readonly number[];
  /** Names the case in the message. */
  label?: string;
  /** Per-element magnitude the relative tolerance applies to (e.g. Σ|xᵢ| for a sum); defaults to |expected|. */
  scale?: readonly number[];
}

/**
 * Asserts `|actual - expected| <= atol + rtol · |expected|` element by element and throws
 * an error in the style of `torch.testing.assert_close` otherwise.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, opts: CloseOptions): void {
  const head = opts.label ? `${opts.label}: ` : '';
  if (opts.shape && numel(opts.shape) !== expected.length) {
    throw new Error(`${head}reference has ${expected.length} elements for shape [${opts.shape.join(', ')}]`);
  }
  if (actual.length !== expected.length) {
    throw new Error(`${head}The number of elements differs: got ${actual.length}, expected ${expected.length}.`);
  }
  const equalNaN = opts.equalNaN ?? true;
  const at = (i: number) => formatIndex(opts.shape ? unravel(i, opts.shape) : [i]);
  let mismatched = 0;
  let maxAbs = -1;
  let maxAbsAt = 0;
  let maxRel = -1;
  let maxRelAt = 0;
  const examples: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    let ok: boolean;
    if (Number.isNaN(e) || Number.isNaN(a)) ok = equalNaN && Number.isNaN(e) && Number.isNaN(a);
    else if (!Number.isFinite(e) || !Number.isFinite(a)) ok = a === e;
    else ok = Math.abs(a - e) <= opts.atol + opts.rtol * Math.max(Math.abs(e), opts.scale?.[i] ?? 0);
    if (ok) continue;
    mismatched++;
    const abs = Math.abs(a - e);
    const rel = e === 0 ? abs : abs / Math.abs(e);
    if (!(abs <= maxAbs)) {
      maxAbs = abs;
      maxAbsAt = i;
    }
    if (!(rel <= maxRel)) {
      maxRel = rel;
      maxRelAt = i;
    }
    if (examples.length < 8) examples.push(`  at ${at(i)}: expected ${e}, got ${a}`);
  }
  if (mismatched === 0) return;
  const pct = ((100 * mismatched) / expected.length).toFixed(1);
  throw new Error(
    `${head}Tensor-likes are not close!\n\n` +
      `Mismatched elements: ${mismatched} / ${expected.length} (${pct}%)\n` +
      `Greatest absolute difference: ${maxAbs} at index ${at(maxAbsAt)} (up to ${opts.atol} allowed)\n` +
      `Greatest relative difference: ${maxRel} at index ${at(maxRelAt)} (up to ${opts.rtol} allowed)\n` +
      `First mismatches:\n${examples.join('\n')}`,
  );
}

/** Exact equality (NaN equals NaN), same message format. */
export function assertEqual(actual: ArrayLike<number>, expected: ArrayLike<number>, opts: Omit<CloseOptions, 'rtol' | 'atol'> = {}): void {
  assertClose(actual, expected, { ...opts, rtol: 0, atol: 0 });
}

/** Whether values of `dtype` compare with a tolerance (floats) or exactly. */
export function isInexact(dtype: DType): boolean {
  return isFloating(dtype);
}

// ---- deterministic test data -------------------------------------------------------------

/** Deterministic pseudo-random numbers in [lo, hi) (a small LCG; no dependence on Math.random). */
export function seededValues(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}

/** Deterministic pseudo-random integers in [lo, hi]. */
export function seededInts(n: number, seed: number, lo: number, hi: number): number[] {
  return seededValues(n, seed, 0, 1).map((u) => lo + Math.min(hi - lo, Math.floor(u * (hi - lo + 1))));
}

/** `values` repeated (and shifted by `start`) to exactly `n` elements. */
export function cycle(values: readonly number[], n: number, start = 0): number[] {
  return Array.from({ length: n }, (_, i) => values[(i + start) % values.length]!);
}

/**
 * The physical buffer contents after an in-place write of `logical` (row-major values of
 * `view`) over `before`: what `assign`, `fill` and `scatter` must leave behind, elements
 * outside the view included.
 */
export function writeThrough(before: readonly number[], view: TensorView, logical: readonly number[]): number[] {
  const after = [...before];
  for (let i = 0; i < logical.length; i++) {
    after[stridedOffset(unravel(i, view.shape), view.strides, view.offset)] = roundToDType(view.dtype, logical[i]!);
  }
  return after;
}

