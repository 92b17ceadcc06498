/**
 * Optional fused kernels (`backend.fused`). Each is compared with a naive reference and
 * with the same computation composed from the backend's own primitives, the path the op
 * library takes when a backend has no fused kernel.
 */
import { describe } from '../vitest.js';
import type { Backend, TensorView } from '../../backend.js';
import type { DType } from '../../dtype.js';
import { FLOAT_DTYPES, type SuiteContext } from '../context.js';
import { assertClose, makeView, readView, roundToDType, seededValues, type BufferScope, type Operand } from '../helpers.js';
import { axisLines, keptShape, logSoftmaxRef, softmaxRef } from '../reference.js';

/** A view of `out`'s [.., 1, ..] reduction result broadcast back to `shape` (stride 0 on `axis`). */
function broadcastAlong(reduced: TensorView, shape: readonly number[], axis: number): TensorView {
  const strides = [...reduced.strides];
  strides[axis] = 0;
  return makeView(reduced.buffer, shape, strides, reduced.offset);
}

/** softmax / logSoftmax composed from primitives: max, sub, exp, sum, div / log, sub. */
function composed(s: BufferScope, b: Backend, kind: 'softmax' | 'logSoftmax', x: TensorView, axis: number): TensorView {
  const dtype = x.dtype;
  const shape = x.shape;
  const rshape = keptShape(shape, [axis]);
  const m = s.empty(dtype, rshape);
  b.reduce('max', x, [axis], m);
  const shifted = s.empty(dtype, shape);
  b.binary('sub', x, broadcastAlong(m, shape, axis), shifted);
  const e = s.empty(dtype, shape);
  b.unary('exp', shifted, e);
  const sum = s.empty(dtype, rshape);
  b.reduce('sum', e, [axis], sum);
  const out = s.empty(dtype, shape);
  if (kind === 'softmax') {
    b.binary('div', e, broadcastAlong(sum, shape, axis), out);
  } else {
    const lse = s.empty(dtype, rshape);
    b.unary('log', sum, lse);
    b.binary('sub', shifted, broadcastAlong(lse, shape, axis), out);
  }
  return out;
}

function inputs(s: BufferScope, dtype: DType): [string, Operand][] {
  const shape = [3, 4, 5];
  const big = seededValues(60, 3, 990, 1010);
  const withInf = seededValues(60, 4, -5, 5).map((v, i) => (i % 7 === 3 ? -Infinity : v));
  return [
    ['contiguous', s.input(dtype, seededValues(60, 1, -4, 4), shape)],
    ['transposed', s.input(dtype, seededValues(60, 2, -4, 4), shape, 'transposed')],
    ['sliced with steps and offset, values near 1000 (needs the max subtraction)', s.input(dtype, big, shape, 'strided')],
    ['with -inf entries', s.input(dtype, withInf, shape)],
    ['broadcast along axis 1 (stride 0)', s.broadcast(dtype, seededValues(15, 5, -3, 3), [3, 1, 5], shape)],
  ];
}

export function fusedSuite(ctx: SuiteContext): void {
  describe('fused kernels', () => {
    const kernels: ['softmax' | 'logSoftmax', (line: readonly number[]) => number[]][] = [
      ['softmax', softmaxRef],
      ['logSoftmax', logSoftmaxRef],
    ];
    for (const [name, ref] of kernels) {
      for (const dtype of FLOAT_DTYPES) {
        ctx.test(`${name} ${dtype} (when declared) matches the reference and the composed primitives`, [dtype], async (s, b, tc) => {
          const kernel = b.fused[name];
          if (!kernel) {
            tc.skip(`${b.name} declares no fused ${name}; the op library composes primitives instead`);
            return;
          }
          const tol = ctx.tol(dtype, true);
          for (const [label, x] of inputs(s, dtype)) {
            const shape = x.view.shape;
            for (let axis = 0; axis < shape.length; axis++) {
              const out = s.empty(dtype, shape);
              kernel.call(b.fused, x.view, axis, out);
              const got = await readView(b, out);
              const expected = new Array<number>(x.values.length);
              for (const line of axisLines(shape, axis)) {
                const r = ref(line.map((p) => x.values[p]!));
                line.forEach((p, k) => (expected[p] = roundToDType(dtype, r[k]!)));
              }
              const what = `fused ${name} ${dtype} axis ${axis} of [${shape.join(', ')}] [${label}]`;
              assertClose(got, expected, { ...tol, shape, label: `${what} vs reference` });
              const viaPrimitives = await readView(b, composed(s, b, name, x.view, axis));
              assertClose(got, viaPrimitives, { ...tol, shape, label: `${what} vs composed primitives` });
            }
          }
        });
      }
    }
  });
}
