/** Walking the tensors inside nested batches (arrays, plain objects, class instances). */
import { ValueError, isTensor, type Tensor } from '@torchlet/tensor';

/** Adds every tensor reachable from `value` (arrays, objects, Maps; cycles are safe) to `out`. */
export function collectTensors(value: unknown, out: Set<Tensor> = new Set(), seen: Set<unknown> = new Set()): Set<Tensor> {
  if (isTensor(value)) {
    out.add(value);
    return out;
  }
  if (value === null || typeof value !== 'object' || seen.has(value) || ArrayBuffer.isView(value)) return out;
  seen.add(value);
  if (Array.isArray(value)) for (const v of value) collectTensors(v, out, seen);
  else if (value instanceof Map) for (const v of value.values()) collectTensors(v, out, seen);
  else for (const v of Object.values(value)) collectTensors(v, out, seen);
  return out;
}

/** Disposes every tensor in `value` that is not in `keep` (and not already disposed). */
export function disposeTensors(value: unknown, keep?: ReadonlySet<Tensor>): void {
  for (const t of collectTensors(value)) {
    if (!t.isDisposed && !keep?.has(t)) t.dispose();
  }
}

export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Integers only: `Number.isInteger` as a type-friendly predicate with a name in errors. */
export function checkPositiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(`${what} should be a positive integer value, but got ${what}=${String(value)}`);
  }
  return value;
}
