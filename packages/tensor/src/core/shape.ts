import { IndexError, ShapeError, ValueError, fmtShape } from './errors.js';

/** A tensor's sizes, one per dim. */
export type Shape = readonly number[];

/** The number of elements of `shape` (1 for `[]`). */
export function numelOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

/** Whether two shapes are identical. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Wraps a possibly negative dim into [0, ndim); `op` names the caller in the error. */
export function normalizeDim(dim: number, ndim: number, op = 'dim'): number {
  const n = Math.max(ndim, 1); // rank-0 tensors accept dim 0 and -1, as in PyTorch
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new IndexError(`${op}: Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + n : dim;
}

/** Normalised, sorted, unique dims; `undefined` means all dims. */
export function normalizeDims(dims: number | readonly number[] | undefined, ndim: number, op = 'dim'): number[] {
  if (dims === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = [...new Set(list.map((d) => normalizeDim(d, ndim, op)))].sort((x, y) => x - y);
  if (out.length !== list.length) throw new ValueError(`${op}: dim ${list.join(', ')} appears multiple times in the list of dims`);
  return ndim === 0 ? [] : out;
}

/** PyTorch's broadcasting: align trailing dims; sizes must match or be 1. */
export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i} ` +
          `(shapes ${fmtShape(a)} and ${fmtShape(b)})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

export function broadcastAll(shapes: readonly Shape[], op = 'broadcast'): number[] {
  let out: number[] = [];
  for (const s of shapes) out = broadcastShapes(out, s, op);
  return out;
}

/** Validates a user-given size list (non-negative integers), with -1 inference when `allowInfer`. */
export function checkShape(shape: readonly number[], op: string): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ValueError(`${op}: invalid shape ${fmtShape(shape)}: sizes must be non-negative integers`);
  }
  return [...shape];
}

/** Resolves one -1 in `shape` so it holds `numel` elements. */
export function inferShape(shape: readonly number[], numel: number, op: string): number[] {
  let infer = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1) {
      if (infer >= 0) throw new ShapeError(`${op}: only one dimension can be inferred`);
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: invalid shape dimension ${d}`);
    } else known *= d;
  });
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || numel % known !== 0) throw new ShapeError(`${op}: shape '${fmtShape(shape)}' is invalid for input of size ${numel}`);
    out[infer] = numel / known;
  } else if (known !== numel) {
    throw new ShapeError(`${op}: shape '${fmtShape(shape)}' is invalid for input of size ${numel}`);
  }
  return out;
}
