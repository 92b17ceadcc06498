/** Reductions: `reduce` (sum, prod, max, min), `argReduce` and `scan`. */
import { describe } from '../vitest.js';
import type { DType } from '../../dtype.js';
import { ARG_REDUCE_OPS, REDUCE_OPS, SCAN_OPS, type ReduceOp, type ScanOp } from '../../primitives.js';
import { FLOAT_DTYPES, type SuiteContext } from '../context.js';
import { assertClose, assertEqual, cycle, numel, readView, roundToDType, seededInts, seededValues, type BufferScope, type Operand } from '../helpers.js';
import { argReduceRef, axisLines, keptShape, reduceRef, reductionGroups, scanRef } from '../reference.js';

const inf = Infinity;

interface ViewCase {
  readonly label: string;
  readonly x: Operand;
}

const SHAPE = [3, 4, 5] as const;

/** Values suited to `op` (prod near 1 so it neither overflows nor underflows). */
function dataFor(op: ReduceOp | ScanOp | 'arg', dtype: DType, n: number, seed: number): number[] {
  if (dtype === 'int32') {
    if (op !== 'prod' && op !== 'cumprod') return seededInts(n, seed, -50, 50);
    // Mostly -1, 0, 1 with an occasional ±2, so no product overflows.
    return seededInts(n, seed, -1, 1).map((v, i) => (i % 11 === 0 ? (v < 0 ? -2 : 2) : v));
  }
  if (op === 'prod' || op === 'cumprod') return seededValues(n, seed, 0.6, 1.4).map((v, i) => (i % 3 === 0 ? -v : v));
  if (op === 'arg') return seededInts(n, seed, -3, 3); // many ties
  return seededValues(n, seed, -2, 2);
}

/** The view kinds reductions run over, all of logical shape [3, 4, 5]. */
function viewCases(s: BufferScope, dtype: DType, op: ReduceOp | ScanOp | 'arg'): ViewCase[] {
  const n = numel(SHAPE);
  return [
    { label: 'contiguous', x: s.input(dtype, dataFor(op, dtype, n, 1), SHAPE) },
    { label: 'transposed (axes reversed)', x: s.input(dtype, dataFor(op, dtype, n, 2), SHAPE, 'transposed') },
    { label: 'sliced with steps and offset', x: s.input(dtype, dataFor(op, dtype, n, 3), SHAPE, 'strided') },
    { label: 'broadcast along axis 1 (stride 0)', x: s.broadcast(dtype, dataFor(op, dtype, 15, 4), [3, 1, 5], SHAPE) },
  ];
}

const AXES_SETS: readonly (readonly number[])[] = [[0], [1], [2], [0, 2], [1, 2], [0, 1], [0, 1, 2]];

async function checkReduce(ctx: SuiteContext, s: BufferScope, op: ReduceOp, dtype: DType, x: Operand, axes: readonly number[], label: string): Promise<void> {
  const b = s.backend;
  const outShape = keptShape(x.view.shape, axes);
  const out = s.empty(dtype, outShape);
  b.reduce(op, x.view, axes, out);
  const groups = reductionGroups(x.values, x.view.shape, axes);
  const expected = groups.map((g) => roundToDType(dtype, reduceRef(op, g)));
  // Summation error grows with Σ|xᵢ|, not with the (possibly cancelled) result.
  const scale = groups.map((g) => (op === 'sum' ? g.reduce((p, v) => p + Math.abs(v), 0) : 0));
  assertClose(await readView(b, out), expected, {
    ...ctx.tol(dtype),
    scale,
    shape: outShape,
    label: `reduce ${op} ${dtype} axes [${axes.join(', ')}] over [${x.view.shape.join(', ')}] [${label}]`,
  });
}

/** Runs `fn`, flushes and reads `out`; resolves to the error thrown at any of those points. */
async function errorOf(s: BufferScope, fn: () => void, out: Operand['view']): Promise<unknown> {
  try {
    fn();
    s.backend.flush?.();
    await s.backend.read(out.buffer);
  } catch (err) {
    return err;
  }
  return undefined;
}

export function reduceSuite(ctx: SuiteContext): void {
  describe('reduce', () => {
    const dtypes: DType[] = [...FLOAT_DTYPES, 'int32'];
    for (const op of REDUCE_OPS) {
      for (const dtype of dtypes) {
        ctx.test(`${op} ${dtype} over every axis set and view kind`, [dtype], async (s) => {
          for (const c of viewCases(s, dtype, op)) {
            for (const axes of AXES_SETS) await checkReduce(ctx, s, op, dtype, c.x, axes, c.label);
          }
        });
        ctx.test(`${op} ${dtype} on rank-0, size-1 and zero-size views`, [dtype], async (s) => {
          await checkReduce(ctx, s, op, dtype, s.scalar(dtype, 3), [], 'rank-0 at offset 2, no axes');
          await checkReduce(ctx, s, op, dtype, s.input(dtype, [5, -2], [1, 2, 1]), [0, 2], 'size-1 axes');
          await checkReduce(ctx, s, op, dtype, s.input(dtype, [], [2, 0]), [0], 'zero-size kept axis');
          if (op === 'sum' || op === 'prod') {
            // Empty reductions give the identity (0 for sum, 1 for prod), as in PyTorch.
            await checkReduce(ctx, s, op, dtype, s.input(dtype, [], [0, 3]), [0], 'reduced axis of size 0');
            await checkReduce(ctx, s, op, dtype, s.input(dtype, [], [2, 0, 3]), [1, 2], 'reduced axes including size 0');
          }
        });
      }
    }
    for (const op of ['max', 'min'] as const) {
      for (const dtype of FLOAT_DTYPES) {
        ctx.test(`${op} ${dtype} propagates NaN`, [dtype], async (s) => {
          const values = [1, NaN, 3, -1, 2, 5, -inf, inf, NaN, 0, 4, 4];
          const x = s.input(dtype, values, [3, 4]);
          await checkReduce(ctx, s, op, dtype, x, [1], 'rows with NaN');
          await checkReduce(ctx, s, op, dtype, x, [0], 'columns with NaN');
          await checkReduce(ctx, s, op, dtype, x, [0, 1], 'all');
          await checkReduce(ctx, s, op, dtype, s.input(dtype, values, [3, 4], 'transposed'), [1], 'transposed rows with NaN');
        });
      }
    }
    for (const dtype of FLOAT_DTYPES) {
      ctx.test(`sum ${dtype} of many elements (1000 per row)`, [dtype], async (s) => {
        const x = s.input(dtype, seededValues(3000, 9, -1, 1), [3, 1000]);
        await checkReduce(ctx, s, 'sum', dtype, x, [1], 'long rows');
        await checkReduce(ctx, s, 'sum', dtype, x, [0, 1], 'all');
        await checkReduce(ctx, s, 'max', dtype, x, [1], 'long rows');
      });
    }
    for (const op of ['sum', 'prod'] as const) {
      ctx.test(`${op} int32 overflow is rejected with a RangeError`, ['int32'], async (s) => {
        const values = op === 'sum' ? [2147483647, 1, 0, 0] : [65536, 65536, 1, 1];
        const x = s.input('int32', values, [2, 2]);
        const out = s.empty('int32', [1, 1]);
        const err = await errorOf(s, () => s.backend.reduce(op, x.view, [0, 1], out), out);
        if (!(err instanceof RangeError)) {
          const got = err === undefined ? `no error (result ${(await readView(s.backend, out)).join(', ')})` : String(err);
          throw new Error(`reduce ${op} int32 of [${values.join(', ')}] should throw a RangeError (overflow), got ${got}`);
        }
        // The same reduction that fits must still work on this backend afterwards.
        await checkReduce(ctx, s, op, 'int32', s.input('int32', op === 'sum' ? [2147483646, 1] : [65536, 32767], [2]), [0], 'largest result that fits');
        await checkReduce(ctx, s, op, 'int32', s.input('int32', op === 'sum' ? [-2147483647, -1] : [-65536, 32768], [2]), [0], 'smallest result that fits');
      });
    }
  });

  describe('argReduce', () => {
    for (const op of ARG_REDUCE_OPS) {
      for (const dtype of [...FLOAT_DTYPES, 'int32'] as DType[]) {
        ctx.test(`${op} ${dtype} returns the first index of ties, along every axis and view kind`, [dtype, 'int32'], async (s, b) => {
          const cases = [...viewCases(s, dtype, 'arg'), { label: 'length-1 axis', x: s.input(dtype, [4, 2, 9], [3, 1]) }];
          for (const c of cases) {
            for (let axis = 0; axis < c.x.view.shape.length; axis++) {
              const shape = c.x.view.shape;
              const outShape = keptShape(shape, [axis]);
              const out = s.empty('int32', outShape);
              b.argReduce(op, c.x.view, axis, out);
              const expected = reductionGroups(c.x.values, shape, [axis]).map((g) => argReduceRef(op, g));
              assertEqual(await readView(b, out), expected, { shape: outShape, label: `${op} ${dtype} axis ${axis} of [${shape.join(', ')}] [${c.label}]` });
            }
          }
        });
      }
    }
  });

  describe('scan', () => {
    for (const op of SCAN_OPS) {
      for (const dtype of [...FLOAT_DTYPES, 'int32'] as DType[]) {
        ctx.test(`${op} ${dtype} along every axis and view kind`, [dtype], async (s, b) => {
          const cases = [...viewCases(s, dtype, op), { label: 'zero-size [2, 0]', x: s.input(dtype, [], [2, 0]) }];
          for (const c of cases) {
            const shape = c.x.view.shape;
            for (let axis = 0; axis < shape.length; axis++) {
              const out = s.empty(dtype, shape);
              b.scan(op, c.x.view, axis, out);
              const expected = new Array<number>(c.x.values.length);
              const scale = new Array<number>(c.x.values.length);
              for (const line of axisLines(shape, axis)) {
                const vals = line.map((p) => c.x.values[p]!);
                const res = scanRef(op, vals, dtype);
                let abs = 0;
                line.forEach((p, k) => {
                  abs += Math.abs(vals[k]!);
                  expected[p] = roundToDType(dtype, res[k]!);
                  scale[p] = op === 'cumsum' ? abs : 0;
                });
              }
              assertClose(await readView(b, out), expected, { ...ctx.tol(dtype), scale, shape, label: `${op} ${dtype} axis ${axis} of [${shape.join(', ')}] [${c.label}]` });
            }
          }
        });
      }
    }
    for (const op of ['cummax', 'cummin'] as const) {
      ctx.test(`${op} float32 propagates NaN from its first occurrence`, ['float32'], async (s, b) => {
        const values = [1, 3, NaN, 5, -1, 2, -inf, inf, 0, 4, NaN, 7];
        const x = s.input('float32', values, [2, 6]);
        const out = s.empty('float32', [2, 6]);
        b.scan(op, x.view, 1, out);
        const expected = [...scanRef(op, values.slice(0, 6), 'float32'), ...scanRef(op, values.slice(6), 'float32')];
        assertEqual(await readView(b, out), expected, { shape: [2, 6], label: `${op} with NaN (input ${values.join(', ')})` });
      });
    }
    ctx.test('cumsum float32 of a long row (1000)', ['float32'], async (s, b) => {
      const values = cycle(seededValues(1000, 21, -1, 1), 1000);
      const x = s.input('float32', values, [1000]);
      const out = s.empty('float32', [1000]);
      b.scan('cumsum', x.view, 0, out);
      let acc = 0;
      let abs = 0;
      const expected: number[] = [];
      const scale: number[] = [];
      for (const v of x.values) {
        acc += v;
        abs += Math.abs(v);
        expected.push(acc);
        scale.push(abs);
      }
      assertClose(await readView(b, out), expected, { ...ctx.tol('float32'), scale, shape: [1000], label: 'cumsum of 1000 elements' });
    });
  });
}

