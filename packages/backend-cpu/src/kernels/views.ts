import type { TensorView } from '@torchlet/backend';
import { dataOf } from '../buffer.js';
import type { LoopOperand } from '../codegen/strided-loop.js';

/** A view as a loop operand over its own shape. */
export function operand(view: TensorView): LoopOperand {
  return { data: dataOf(view), offset: view.offset, strides: view.strides };
}

/** Throws unless `view` has exactly `shape` (operands arrive already broadcast). */
export function checkShape(op: string, view: TensorView, shape: readonly number[]): void {
  const s = view.shape;
  let same = s.length === shape.length && view.strides.length === s.length;
  for (let d = 0; same && d < s.length; d++) same = s[d] === shape[d];
  if (!same) throw new Error(`${op}: operand shape [${s.join(', ')}] does not match output shape [${shape.join(', ')}]`);
}

/** Throws unless `view` has `dtype`. */
export function checkDType(op: string, view: TensorView, dtype: string): void {
  if (view.dtype !== dtype) throw new TypeError(`${op}: expected a ${dtype} operand, got ${view.dtype}`);
}

/** Normalises an axis (negative counts from the end) and checks it is in range. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new RangeError(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}
