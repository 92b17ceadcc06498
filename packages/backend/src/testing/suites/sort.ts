/** `sort`: stable, ascending and descending, NaN placement as in PyTorch. */
import { describe } from '../vitest.js';
import type { DType } from '../../dtype.js';
import { FLOAT_DTYPES, type SuiteContext } from '../context.js';
import { assertEqual, cycle, readView, seededInts, seededValues, type BufferScope, type Operand } from '../helpers.js';
import { axisLines, sortPermutation } from '../reference.js';

const inf = Infinity;

async function checkSort(s: BufferScope, dtype: DType, x: Operand, axis: number, descending: boolean, label: string): Promise<void> {
  const b = s.backend;
  const shape = x.view.shape;
  const values = s.empty(dtype, shape);
  const indices = s.empty('int32', shape);
  b.sort(x.view, axis, descending, values, indices);
  const expValues = new Array<number>(x.values.length);
  const expIndices = new Array<number>(x.values.length);
  for (const line of axisLines(shape, axis)) {
    const vals = line.map((p) => x.values[p]!);
    const perm = sortPermutation(vals, descending);
    line.forEach((p, k) => {
      expValues[p] = vals[perm[k]!]!;
      expIndices[p] = perm[k]!;
    });
  }
  const what = `sort ${dtype} axis ${axis} ${descending ? 'descending' : 'ascending'} of [${shape.join(', ')}] [${label}]`;
  assertEqual(await readView(b, values), expValues, { shape, label: `${what} values` });
  assertEqual(await readView(b, indices), expIndices, { shape, label: `${what} indices (stable: ties keep input order)` });
}

export function sortSuite(ctx: SuiteContext): void {
  describe('sort', () => {
    for (const dtype of [...FLOAT_DTYPES, 'int32'] as DType[]) {
      const tied = (n: number, seed: number) => seededInts(n, seed, -3, 3); // many ties
      ctx.test(`sort ${dtype} is stable along each axis and view kind, both directions`, [dtype, 'int32'], async (s) => {
        const cases: Operand[] = [
          s.input(dtype, tied(24, 1), [4, 6]),
          s.input(dtype, tied(24, 2), [4, 6], 'transposed'),
          s.input(dtype, tied(24, 3), [4, 6], 'strided'),
          s.broadcast(dtype, tied(6, 4), [1, 6], [4, 6]),
        ];
        const labels = ['contiguous', 'transposed', 'sliced with steps and offset', 'broadcast rows (stride 0)'];
        for (let c = 0; c < cases.length; c++) {
          for (const axis of [0, 1]) {
            for (const descending of [false, true]) await checkSort(s, dtype, cases[c]!, axis, descending, labels[c]!);
          }
        }
      });
      ctx.test(`sort ${dtype} of long, odd-length and degenerate rows`, [dtype, 'int32'], async (s) => {
        const longVals = dtype === 'int32' ? seededInts(2 * 1000, 5, -100, 100) : seededValues(2 * 1000, 5, -100, 100).map((v, i) => (i % 7 === 0 ? 1.5 : v));
        for (const descending of [false, true]) {
          await checkSort(s, dtype, s.input(dtype, longVals, [2, 1000]), 1, descending, 'rows of 1000 with ties');
          await checkSort(s, dtype, s.input(dtype, tied(37 * 3, 6), [3, 37], 'strided'), 1, descending, 'rows of 37');
          await checkSort(s, dtype, s.input(dtype, [5, 2, 9], [3, 1]), 1, descending, 'rows of length 1');
          await checkSort(s, dtype, s.input(dtype, [], [3, 0]), 1, descending, 'zero-length rows');
          await checkSort(s, dtype, s.input(dtype, [], [0, 4]), 1, descending, 'no rows');
          await checkSort(s, dtype, s.input(dtype, cycle([4, -1, 4, 0], 8), [8]), 0, descending, '1-D');
        }
      });
    }
    for (const dtype of FLOAT_DTYPES) {
      ctx.test(`sort ${dtype} puts NaN last ascending and first descending, in input order`, [dtype, 'int32'], async (s) => {
        const values = [3, NaN, -inf, 1, NaN, inf, -0.5, 1, NaN, 2, -inf, 0];
        for (const descending of [false, true]) {
          await checkSort(s, dtype, s.input(dtype, values, [12]), 0, descending, 'NaN and ±inf');
          await checkSort(s, dtype, s.input(dtype, values, [3, 4], 'transposed'), 0, descending, 'NaN and ±inf, transposed');
          await checkSort(s, dtype, s.input(dtype, [NaN, NaN, NaN], [3]), 0, descending, 'all NaN');
        }
      });
    }
  });
}
