/** Counter-based random draws: the backend contract's Philox stream, via the reference fill. */
import { contiguousStrides, isContiguousView, isFloating, philoxFill, type RandomKind, type TensorView } from '@torchlet/backend';
import { dataOf } from '../buffer.js';
import { compileLoop, numel, runLoop } from '../codegen/strided-loop.js';
import { operand } from './views.js';

/** The argument checks of `random`, shared with the Wasm kernel's dispatch. */
export function checkRandomArgs(kind: RandomKind, out: TensorView, p: number | undefined): void {
  if (kind !== 'bernoulli' && !isFloating(out.dtype)) {
    throw new TypeError(`random: ${kind} draws need a float output, got ${out.dtype}`);
  }
  if (kind === 'bernoulli' && p !== undefined && !(p >= 0 && p <= 1)) {
    throw new RangeError(`random: bernoulli probability must be in [0, 1], got ${p}`);
  }
}

export function random(kind: RandomKind, out: TensorView, seed: number, offset: number, p?: number): void {
  checkRandomArgs(kind, out, p);
  const n = numel(out.shape);
  if (n === 0) return;
  const data = dataOf(out);
  if (isContiguousView(out.shape, out.strides)) {
    // Element i of the view is element i of the stream, whatever the storage offset.
    philoxFill(kind, data.subarray(out.offset, out.offset + n), n, seed, offset, p);
    return;
  }
  // A strided destination: draw in element order, then scatter through the strided loop.
  const draws = new Float64Array(n);
  philoxFill(kind, draws, n, seed, offset, p);
  const strides = contiguousStrides(out.shape);
  const copy = compileLoop({ key: `copy:float64:${out.dtype}`, nOps: 2, body: 'a0[q0] = a1[q1];' });
  runLoop(copy, out.shape, [operand(out), { data: draws, offset: 0, strides }]);
}
