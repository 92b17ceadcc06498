/** Batched `matmul` with transposed, offset and broadcast (stride 0) operands. */
import { describe } from '../vitest.js';
import type { TensorView } from '../../backend.js';
import type { DType } from '../../dtype.js';
import { contiguousStrides } from '../../layout.js';
import { FLOAT_DTYPES, type SuiteContext } from '../context.js';
import { assertClose, makeView, numel, readView, roundToDType, seededValues, stridedValues, type BufferScope } from '../helpers.js';

/** A matrix operand: the view given to the backend and its logical values. */
interface MatOperand {
  readonly view: TensorView;
  readonly values: number[];
}

type Placement = 'contiguous' | 'transposed' | 'offset' | 'batch-broadcast';

/**
 * An operand of logical shape [...batch, R, C] stored as:
 * - `contiguous`;
 * - `transposed`: memory holds [...batch, C, R] and the view swaps the last two strides;
 * - `offset`: rows of a wider matrix (row stride C + 3) starting at offset 5;
 * - `batch-broadcast`: one [R, C] matrix repeated over the batch with stride 0.
 */
function operand(s: BufferScope, dtype: DType, batch: readonly number[], r: number, c: number, placement: Placement, seed: number): MatOperand {
  const shape = [...batch, r, c];
  const nb = numel(batch);
  let data: number[];
  let strides: number[];
  let offset = 0;
  if (placement === 'contiguous') {
    data = seededValues(numel(shape), seed);
    strides = contiguousStrides(shape);
  } else if (placement === 'transposed') {
    data = seededValues(numel(shape), seed);
    const phys = contiguousStrides([...batch, c, r]);
    strides = [...phys.slice(0, batch.length), phys[batch.length + 1]!, phys[batch.length]!];
  } else if (placement === 'offset') {
    const ld = c + 3;
    offset = 5;
    data = seededValues(offset + nb * r * ld + 2, seed);
    strides = [...contiguousStrides(batch).map((st) => st * r * ld), ld, 1];
  } else {
    data = seededValues(r * c, seed);
    strides = [...batch.map(() => 0), c, 1];
  }
  const rounded = data.map((v) => roundToDType(dtype, v));
  const view = makeView(s.upload(dtype, rounded), shape, strides, offset);
  return { view, values: stridedValues(rounded, shape, strides, offset) };
}

async function checkMatmul(ctx: SuiteContext, s: BufferScope, dtype: DType, a: MatOperand, b: MatOperand, label: string): Promise<void> {
  const be = s.backend;
  const rank = a.view.shape.length;
  const batch = a.view.shape.slice(0, rank - 2);
  const m = a.view.shape[rank - 2]!;
  const k = a.view.shape[rank - 1]!;
  const n = b.view.shape[rank - 1]!;
  const outShape = [...batch, m, n];
  const out = s.empty(dtype, outShape);
  be.matmul(a.view, b.view, out);
  const expected: number[] = [];
  const scale: number[] = [];
  for (let bi = 0; bi < numel(batch); bi++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        let abs = 0;
        for (let p = 0; p < k; p++) {
          const prod = a.values[(bi * m + i) * k + p]! * b.values[(bi * k + p) * n + j]!;
          acc += prod;
          abs += Math.abs(prod);
        }
        expected.push(roundToDType(dtype, acc));
        scale.push(abs);
      }
    }
  }
  assertClose(await readView(be, out), expected, {
    ...ctx.tol(dtype),
    scale,
    shape: outShape,
    label: `matmul ${dtype} [${a.view.shape.join(', ')}] @ [${b.view.shape.join(', ')}] (${label})`,
  });
}

export function matmulSuite(ctx: SuiteContext): void {
  describe('matmul', () => {
    for (const dtype of FLOAT_DTYPES) {
      ctx.test(`plain 2-D ${dtype} of several sizes`, [dtype], async (s) => {
        const sizes: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [17, 33, 9], [64, 70, 65], [1, 128, 1], [3, 1, 4]];
        for (const [m, k, n] of sizes) {
          await checkMatmul(ctx, s, dtype, operand(s, dtype, [], m, k, 'contiguous', m * 7 + k), operand(s, dtype, [], k, n, 'contiguous', n * 3 + k), 'contiguous');
        }
      });
      ctx.test(`transposed operands via strides ${dtype}`, [dtype], async (s) => {
        const place: [Placement, Placement][] = [['transposed', 'contiguous'], ['contiguous', 'transposed'], ['transposed', 'transposed']];
        for (const [pa, pb] of place) {
          await checkMatmul(ctx, s, dtype, operand(s, dtype, [], 6, 9, pa, 11), operand(s, dtype, [], 9, 5, pb, 12), `a ${pa}, b ${pb}`);
          await checkMatmul(ctx, s, dtype, operand(s, dtype, [3], 4, 6, pa, 13), operand(s, dtype, [3], 6, 7, pb, 14), `batched, a ${pa}, b ${pb}`);
        }
      });
      ctx.test(`batched ${dtype}`, [dtype], async (s) => {
        await checkMatmul(ctx, s, dtype, operand(s, dtype, [4], 5, 6, 'contiguous', 1), operand(s, dtype, [4], 6, 3, 'contiguous', 2), '1 batch dim');
        await checkMatmul(ctx, s, dtype, operand(s, dtype, [2, 3], 4, 5, 'contiguous', 3), operand(s, dtype, [2, 3], 5, 2, 'contiguous', 4), '2 batch dims');
      });
      ctx.test(`batch broadcast via stride 0 ${dtype}`, [dtype], async (s) => {
        await checkMatmul(ctx, s, dtype, operand(s, dtype, [3], 5, 6, 'contiguous', 5), operand(s, dtype, [3], 6, 4, 'batch-broadcast', 6), 'b broadcast over the batch');
        await checkMatmul(ctx, s, dtype, operand(s, dtype, [3], 5, 6, 'batch-broadcast', 7), operand(s, dtype, [3], 6, 4, 'transposed', 8), 'a broadcast over the batch, b transposed');
        // [2, 3] batch where b repeats along the first batch axis only: strides [0, K·N, N, 1].
        const bBase = operand(s, dtype, [3], 4, 2, 'contiguous', 9);
        const bView = makeView(bBase.view.buffer, [2, 3, 4, 2], [0, 8, 2, 1], 0);
        const bValues = [...bBase.values, ...bBase.values];
        await checkMatmul(ctx, s, dtype, operand(s, dtype, [2, 3], 5, 4, 'contiguous', 10), { view: bView, values: bValues }, 'b broadcast along one of two batch axes');
      });
      ctx.test(`operands at offsets with padded rows ${dtype}`, [dtype], async (s) => {
        await checkMatmul(ctx, s, dtype, operand(s, dtype, [], 7, 5, 'offset', 15), operand(s, dtype, [], 5, 6, 'offset', 16), '2-D, both offset');
        await checkMatmul(ctx, s, dtype, operand(s, dtype, [2], 3, 4, 'offset', 17), operand(s, dtype, [2], 4, 5, 'transposed', 18), 'batched, a offset, b transposed');
      });
      ctx.test(`empty dimensions ${dtype}`, [dtype], async (s) => {
        // K = 0 gives zeros, as in PyTorch.
        await checkMatmul(ctx, s, dtype, operand(s, dtype, [], 3, 0, 'contiguous', 19), operand(s, dtype, [], 0, 4, 'contiguous', 20), 'K = 0');
        await checkMatmul(ctx, s, dtype, operand(s, dtype, [], 0, 5, 'contiguous', 21), operand(s, dtype, [], 5, 4, 'contiguous', 22), 'M = 0');
        await checkMatmul(ctx, s, dtype, operand(s, dtype, [0], 2, 5, 'contiguous', 23), operand(s, dtype, [0], 5, 4, 'contiguous', 24), 'batch 0');
      });
    }
  });
}
