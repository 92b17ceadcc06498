/**
 * `torch.testing.assert_close` for Torchlet: the same defaults, the same closeness rule
 * (`|actual − expected| ≤ atol + rtol · |expected|`) and the same messages, so a failure
 * reads as it would in PyTorch. Reads with `await t.data()`, so it works on every device.
 */
import type { DType, DeviceName, HostArray } from '@torchlet/backend';
import { ValueError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { cast } from '../ops/conversion.js';

/** Thrown when values or attributes differ (Python's `AssertionError`). */
export class AssertionError extends Error {
  /** `'AssertionError'`. */
  override name = 'AssertionError';
}

/** Options of `assertClose` (`torch.testing.assert_close`). */
export interface AssertCloseOptions {
  /** Relative tolerance; give `rtol` and `atol` together or neither (defaults depend on the dtype). */
  rtol?: number;
  /** Absolute tolerance; give it together with `rtol`. */
  atol?: number;
  /** Treats NaN in the same place as equal. */
  equalNan?: boolean;
  /** Requires equal dtypes when both sides are tensors (number and array data take the actual's dtype). */
  checkDtype?: boolean;
  /** Requires both tensors on the same device. */
  checkDevice?: boolean;
  /** Replaces the generated message. */
  msg?: string;
}

/** Nested arrays of numbers or booleans, or a typed array. */
export type TensorLike = Tensor | number | boolean | HostArray | readonly unknown[];

/** `torch.testing`'s default `(rtol, atol)` per dtype; exact for integers and bool. */
export const DEFAULT_TOLERANCES: Readonly<
  Record<
    DType,
    {
      /** Relative tolerance. */
      rtol: number;
      /** Absolute tolerance. */
      atol: number;
    }
  >
> = {
  float16: { rtol: 1e-3, atol: 1e-5 },
  float32: { rtol: 1.3e-6, atol: 1e-5 },
  float64: { rtol: 1e-7, atol: 1e-7 },
  int32: { rtol: 0, atol: 0 },
  bool: { rtol: 0, atol: 0 },
};

const TORCH_DTYPE: Record<DType, string> = {
  float32: 'torch.float32',
  float64: 'torch.float64',
  int32: 'torch.int32',
  bool: 'torch.bool',
  float16: 'torch.float16',
};

interface Resolved {
  values: ArrayLike<number>;
  shape: number[];
  /** Absent for plain JavaScript data. */
  dtype?: DType;
  device?: DeviceName;
}

function isTypedArray(x: unknown): x is HostArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

function flattenNested(data: unknown, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (typeof data === 'number') out.push(data);
    else if (typeof data === 'boolean') out.push(data ? 1 : 0);
    else throw new ValueError(`assertClose: expected a number or boolean at depth ${depth}, got ${Array.isArray(data) ? 'an array' : typeof data}`);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new ValueError('assertClose: nested arrays must be rectangular');
  }
  for (const item of data) flattenNested(item, shape, depth + 1, out);
}

async function resolve(x: TensorLike): Promise<Resolved> {
  if (x instanceof Tensor) {
    if (x.dtype === 'float16') {
      // Raw bits on the host: compare in float32.
      const f = cast(x, 'float32');
      try {
        return { values: await f.data(), shape: [...x.shape], dtype: x.dtype, device: x.device };
      } finally {
        f.dispose();
      }
    }
    return { values: await x.data(), shape: [...x.shape], dtype: x.dtype, device: x.device };
  }
  if (typeof x === 'number') return { values: [x], shape: [] };
  if (typeof x === 'boolean') return { values: [x ? 1 : 0], shape: [] };
  if (isTypedArray(x)) return { values: x, shape: [x.length] };
  const shape: number[] = [];
  let level: unknown = x;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  const out: number[] = [];
  flattenNested(x, shape, 0, out);
  return { values: out, shape };
}

/** Python's `repr(float)`: shortest round-trip digits, exponent outside [1e-4, 1e16). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let s: string;
  if (exp >= 0) {
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    s = `${intPart}.${frac || '0'}`;
  } else {
    s = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return neg ? `-${s}` : s;
}

function pyTuple(idx: number[]): string {
  if (idx.length === 1) return `(${idx[0]},)`;
  return `(${idx.join(', ')})`;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    out[d] = flat % size;
    flat = Math.floor(flat / size);
  }
  return out;
}

function attributeMismatch(name: string, a: string, b: string): AssertionError {
  return new AssertionError(`The values for attribute '${name}' do not match: ${a} != ${b}.`);
}

/**
 * `torch.testing.assert_close(actual, expected)`: resolves when every element satisfies
 * `|a − e| ≤ atol + rtol·|e|` (infinities must match exactly; NaN only with `equalNan`),
 * and rejects with an `AssertionError` in PyTorch's words otherwise:
 *
 * ```text
 * Tensor-likes are not close!
 *
 * Mismatched elements: 3 / 12 (25.0%)
 * Greatest absolute difference: 0.5 at index (1, 2) (up to 1e-05 allowed)
 * Greatest relative difference: 0.25 at index (1, 2) (up to 1.3e-06 allowed)
 * ```
 *
 * Default tolerances follow the dtype (float32: rtol 1.3e-6, atol 1e-5; float64: 1e-7 and
 * 1e-7; integers and bool: exact). Numbers and nested arrays on either side take the other
 * side's dtype; two plain numbers compare as float64 "Scalars". Shapes must match exactly
 * (no broadcasting), as in PyTorch.
 */
export async function assertClose(actual: TensorLike, expected: TensorLike, options: AssertCloseOptions = {}): Promise<void> {
  if ((options.rtol === undefined) !== (options.atol === undefined)) {
    throw new ValueError(
      `assertClose: Both 'rtol' and 'atol' must be either specified or omitted, but got no ${options.rtol === undefined ? 'rtol' : 'atol'}.`,
    );
  }
  const a = await resolve(actual);
  const e = await resolve(expected);
  const fail = (err: AssertionError): never => {
    if (options.msg !== undefined) throw new AssertionError(options.msg);
    throw err;
  };

  if (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape[i])) {
    fail(attributeMismatch('shape', `[${a.shape.join(', ')}]`, `[${e.shape.join(', ')}]`));
  }
  if ((options.checkDevice ?? true) && a.device && e.device && a.device !== e.device) {
    fail(attributeMismatch('device', a.device, e.device));
  }
  if ((options.checkDtype ?? true) && a.dtype && e.dtype && a.dtype !== e.dtype) {
    fail(attributeMismatch('dtype', TORCH_DTYPE[a.dtype], TORCH_DTYPE[e.dtype]));
  }

  const scalars = a.dtype === undefined && e.dtype === undefined && a.shape.length === 0;
  const dtype: DType = a.dtype ?? e.dtype ?? 'float64';
  // With checkDtype off, PyTorch takes the looser of the two dtypes' defaults.
  const defA = DEFAULT_TOLERANCES[dtype];
  const defE = DEFAULT_TOLERANCES[e.dtype ?? dtype];
  const rtol = options.rtol ?? Math.max(defA.rtol, defE.rtol);
  const atol = options.atol ?? Math.max(defA.atol, defE.atol);
  const equalNan = options.equalNan ?? false;
  const integral = (dtype === 'int32' || dtype === 'bool') && (e.dtype === undefined || e.dtype === 'int32' || e.dtype === 'bool');
  // Differences are computed in the tensors' dtype, as PyTorch does.
  const round = dtype === 'float32' && (e.dtype === undefined || e.dtype === 'float32') ? Math.fround : (v: number) => v;

  const n = a.values.length;
  let mismatches = 0;
  let maxAbs = 0;
  let maxAbsIdx = 0;
  let maxRel = 0;
  let maxRelIdx = 0;
  for (let i = 0; i < n; i++) {
    const x = a.values[i]!;
    const y = e.values[i]!;
    let ok: boolean;
    if (Number.isNaN(x) || Number.isNaN(y)) ok = equalNan && Number.isNaN(x) && Number.isNaN(y);
    else if (x === y) ok = true;
    else if (!Number.isFinite(x) || !Number.isFinite(y)) ok = false;
    else ok = Math.abs(x - y) <= atol + rtol * Math.abs(y);
    if (ok) continue;
    mismatches++;
    const abs = round(Math.abs(round(x - y)));
    const rel = round(abs / Math.abs(y));
    // torch.max propagates NaN and keeps the first maximum.
    if (!Number.isNaN(maxAbs) && (Number.isNaN(abs) || abs > maxAbs)) {
      maxAbs = abs;
      maxAbsIdx = i;
    }
    if (!Number.isNaN(maxRel) && (Number.isNaN(rel) || rel > maxRel)) {
      maxRel = rel;
      maxRelIdx = i;
    }
  }
  if (mismatches === 0) return;

  const equality = rtol === 0 && atol === 0;
  const fmtAbs = (v: number): string => (integral && Number.isFinite(v) ? String(v) : pyFloat(v));
  const tol = (t: number): string => (equality ? '' : ` (up to ${pyFloat(t)} allowed)`);
  let msg: string;
  if (scalars) {
    const x = a.values[0]!;
    const y = e.values[0]!;
    msg =
      `Scalars are not ${equality ? 'equal' : 'close'}!\n\n` +
      `Expected ${pyFloat(y)} but got ${pyFloat(x)}.\n` +
      `Absolute difference: ${pyFloat(maxAbs)}${tol(atol)}\n` +
      `Relative difference: ${pyFloat(maxRel)}${tol(rtol)}`;
  } else {
    msg =
      `Tensor-likes are not ${equality ? 'equal' : 'close'}!\n\n` +
      `Mismatched elements: ${mismatches} / ${n} (${((mismatches / n) * 100).toFixed(1)}%)\n` +
      `Greatest absolute difference: ${fmtAbs(maxAbs)} at index ${pyTuple(unravel(maxAbsIdx, a.shape))}${tol(atol)}\n` +
      `Greatest relative difference: ${pyFloat(maxRel)} at index ${pyTuple(unravel(maxRelIdx, a.shape))}${tol(rtol)}`;
  }
  fail(new AssertionError(msg));
}
