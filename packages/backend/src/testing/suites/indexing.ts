/** Index-driven primitives: `gather`, `indexSelect`, `scatter` (set / add) and `indexAdd`. */
import { describe } from '../vitest.js';
import type { DType } from '../../dtype.js';
import type { SuiteContext } from '../context.js';
import {
  assertClose,
  numel,
  ravel,
  readBuffer,
  readView,
  seededInts,
  seededValues,
  unravel,
  writeThrough,
  type BufferScope,
  type Layout,
  type Operand,
} from '../helpers.js';

const DTYPES: readonly DType[] = ['float32', 'int32'];

function data(dtype: DType, n: number, seed: number): number[] {
  return dtype === 'int32' ? seededInts(n, seed, -1000, 1000) : seededValues(n, seed, -10, 10);
}

/** Replaces coordinate `axis` of `idx` with `v`. */
function at(idx: readonly number[], axis: number, v: number): number[] {
  const r = [...idx];
  r[axis] = v;
  return r;
}

// ---- gather --------------------------------------------------------------------------------

async function checkGather(ctx: SuiteContext, s: BufferScope, dtype: DType, x: Operand, axis: number, index: Operand, label: string): Promise<void> {
  const b = s.backend;
  const shape = index.view.shape;
  const out = s.empty(dtype, shape);
  b.gather(x.view, axis, index.view, out);
  const expected = index.values.map((v, i) => x.values[ravel(at(unravel(i, shape), axis, v), x.view.shape)]!);
  assertClose(await readView(b, out), expected, { rtol: 0, atol: 0, shape, label: `gather ${dtype} axis ${axis} [${label}]` });
}

// ---- scatter / indexAdd -------------------------------------------------------------------

/** Sequential reference of scatter: positions of `index` in row-major order, accumulating in `dtype`. */
function scatterRef(dst: Operand, axis: number, index: Operand, src: Operand, mode: 'set' | 'add', round: (v: number) => number): number[] {
  const out = [...dst.values];
  const ishape = index.view.shape;
  for (let i = 0; i < index.values.length; i++) {
    const idx = unravel(i, ishape);
    const t = ravel(at(idx, axis, index.values[i]!), dst.view.shape);
    const v = src.values[ravel(idx, src.view.shape)]!;
    out[t] = mode === 'set' ? v : round(out[t]! + v);
  }
  return out;
}

function indexAddRef(dst: Operand, axis: number, index: Operand, src: Operand, round: (v: number) => number): number[] {
  const out = [...dst.values];
  const sshape = src.view.shape;
  for (let i = 0; i < src.values.length; i++) {
    const idx = unravel(i, sshape);
    const t = ravel(at(idx, axis, index.values[idx[axis]!]!), dst.view.shape);
    out[t] = round(out[t]! + src.values[i]!);
  }
  return out;
}

/** Runs an in-place op on `dst` and checks its whole buffer (elements outside the view must not change). */
async function checkInPlace(ctx: SuiteContext, s: BufferScope, dst: Operand, run: () => void, expectedLogical: number[], exact: boolean, label: string): Promise<void> {
  const b = s.backend;
  const before = await readBuffer(b, dst.view.buffer);
  run();
  const after = await readBuffer(b, dst.view.buffer);
  const tol = exact ? { rtol: 0, atol: 0 } : ctx.tol(dst.view.dtype);
  assertClose(after, writeThrough(before, dst.view, expectedLogical), { ...tol, label: `${label} (whole destination buffer)` });
}

/** A [rows, cols] int32 index whose entries are distinct along `axis` (so `set` is deterministic). */
function distinctIndex(rows: number, cols: number, axis: 0 | 1, extent: number, seed: number): number[] {
  const out = new Array<number>(rows * cols);
  const lines = axis === 1 ? rows : cols;
  const len = axis === 1 ? cols : rows;
  for (let l = 0; l < lines; l++) {
    const perm = Array.from({ length: extent }, (_, i) => i);
    const r = seededInts(extent, seed + l, 0, 1 << 20);
    perm.sort((p, q) => r[p]! - r[q]! || p - q);
    for (let k = 0; k < len; k++) out[axis === 1 ? l * cols + k : k * cols + l] = perm[k]!;
  }
  return out;
}

export function indexingSuite(ctx: SuiteContext): void {
  const f32 = Math.fround;
  const roundFor = (dtype: DType) => (dtype === 'int32' ? (v: number) => v | 0 : (v: number) => v);

  describe('gather', () => {
    for (const dtype of DTYPES) {
      ctx.test(`gather ${dtype} along every axis, strided inputs and indices`, [dtype, 'int32'], async (s) => {
        const shape = [3, 4, 5];
        const layouts: Layout[] = ['contiguous', 'transposed', 'strided'];
        for (const layout of layouts) {
          const x = s.input(dtype, data(dtype, 60, 1), shape, layout);
          const specs: [number, number[]][] = [[0, [5, 3, 4]], [1, [2, 6, 3]], [2, [3, 2, 7]]];
          for (const [axis, ishape] of specs) {
            const index = s.input('int32', seededInts(numel(ishape), axis + 7, 0, shape[axis]! - 1), ishape, layout === 'strided' ? 'strided' : 'contiguous');
            await checkGather(ctx, s, dtype, x, axis, index, `x ${layout}, index [${ishape.join(', ')}]${layout === 'strided' ? ' strided' : ''}`);
          }
        }
        const x2 = s.input(dtype, data(dtype, 12, 2), [3, 4]);
        await checkGather(ctx, s, dtype, x2, 1, s.input('int32', [], [3, 0]), 'zero-size index');
        await checkGather(ctx, s, dtype, x2, 0, s.input('int32', [2, 2, 0, 1], [1, 4], 'transposed'), 'index transposed');
      });
    }
  });

  describe('indexSelect', () => {
    for (const dtype of [...DTYPES, 'bool'] as DType[]) {
      ctx.test(`indexSelect ${dtype} with repeated, strided and empty indices`, [dtype, 'int32'], async (s, b) => {
        const cases: [Operand, number, Operand, string][] = [];
        const vals = dtype === 'bool' ? seededInts(24, 3, 0, 1) : data(dtype, 24, 3);
        const x = s.input(dtype, vals.slice(0, 20), [4, 5]);
        const xt = s.input(dtype, vals.slice(0, 20), [4, 5], 'transposed');
        const x3 = s.input(dtype, vals, [2, 3, 4], 'strided');
        cases.push([x, 0, s.input('int32', [3, 0, 3, 1], [4]), 'axis 0, repeated']);
        cases.push([x, 1, s.input('int32', [4, 4, 0], [3]), 'axis 1, repeated']);
        cases.push([xt, 0, s.input('int32', [2, 1], [2]), 'x transposed, axis 0']);
        cases.push([xt, 1, s.input('int32', [0, 3, 2, 1, 4], [5]), 'x transposed, axis 1']);
        cases.push([x3, 1, s.input('int32', [2, 0], [2]), '3-D sliced with offset, middle axis']);
        cases.push([x3, 2, s.input('int32', [3, 1, 2, 0], [4], 'strided'), '3-D, index sliced with step and offset']);
        cases.push([x, 0, s.input('int32', [], [0]), 'empty index']);
        for (const [xi, axis, index, label] of cases) {
          const shape = at(xi.view.shape, axis, index.values.length);
          const out = s.empty(dtype, shape);
          b.indexSelect(xi.view, axis, index.view, out);
          const expected = Array.from({ length: numel(shape) }, (_, i) => {
            const idx = unravel(i, shape);
            return xi.values[ravel(at(idx, axis, index.values[idx[axis]!]!), xi.view.shape)]!;
          });
          assertClose(await readView(b, out), expected, { rtol: 0, atol: 0, shape, label: `indexSelect ${dtype} [${label}]` });
        }
      });
    }
  });

  describe('scatter', () => {
    for (const dtype of DTYPES) {
      ctx.test(`scatter set ${dtype} along each axis, src larger than index, strided destination`, [dtype, 'int32'], async (s, b) => {
        const exact = true;
        // axis 1: dst [3, 5], index [3, 3] (distinct per row), src [3, 4].
        for (const layout of ['contiguous', 'transposed', 'strided'] as Layout[]) {
          const dst = s.input(dtype, data(dtype, 15, 1), [3, 5], layout);
          const index = s.input('int32', distinctIndex(3, 3, 1, 5, 2), [3, 3]);
          const src = s.input(dtype, data(dtype, 12, 3), [3, 4]);
          await checkInPlace(ctx, s, dst, () => b.scatter(dst.view, 1, index.view, src.view, 'set'), scatterRef(dst, 1, index, src, 'set', (v) => v), exact, `scatter set ${dtype} axis 1, dst ${layout}`);
        }
        // axis 0: dst [4, 3], index [2, 3], src [2, 3] transposed.
        const dst0 = s.input(dtype, data(dtype, 12, 4), [4, 3]);
        const index0 = s.input('int32', distinctIndex(2, 3, 0, 4, 5), [2, 3]);
        const src0 = s.input(dtype, data(dtype, 6, 6), [2, 3], 'transposed');
        await checkInPlace(ctx, s, dst0, () => b.scatter(dst0.view, 0, index0.view, src0.view, 'set'), scatterRef(dst0, 0, index0, src0, 'set', (v) => v), exact, `scatter set ${dtype} axis 0, src transposed`);
        // 3-D, middle axis: dst [2, 4, 3], index [2, 2, 3] with distinct entries along axis 1.
        const dst3 = s.input(dtype, data(dtype, 24, 7), [2, 4, 3], 'strided');
        const idx3 = [...distinctIndex(2, 3, 0, 4, 8), ...distinctIndex(2, 3, 0, 4, 9)];
        const index3 = s.input('int32', idx3, [2, 2, 3]);
        const src3 = s.input(dtype, data(dtype, 12, 10), [2, 2, 3]);
        await checkInPlace(ctx, s, dst3, () => b.scatter(dst3.view, 1, index3.view, src3.view, 'set'), scatterRef(dst3, 1, index3, src3, 'set', (v) => v), exact, `scatter set ${dtype} 3-D axis 1`);
        // Empty index: nothing changes.
        const dstE = s.input(dtype, data(dtype, 6, 11), [2, 3]);
        const idxE = s.input('int32', [], [2, 0]);
        await checkInPlace(ctx, s, dstE, () => b.scatter(dstE.view, 1, idxE.view, s.input(dtype, [], [2, 0]).view, 'set'), [...dstE.values], exact, `scatter set ${dtype} empty index`);
      });

      ctx.test(`scatter add ${dtype} with duplicate indices`, [dtype, 'int32'], async (s, b) => {
        const exact = dtype === 'int32';
        for (const layout of ['contiguous', 'transposed', 'strided'] as Layout[]) {
          const dst = s.input(dtype, data(dtype, 15, 12), [3, 5], layout);
          const index = s.input('int32', seededInts(18, 13, 0, 4), [3, 6]);
          const src = s.input(dtype, data(dtype, 21, 14), [3, 7]);
          await checkInPlace(ctx, s, dst, () => b.scatter(dst.view, 1, index.view, src.view, 'add'), scatterRef(dst, 1, index, src, 'add', roundFor(dtype)), exact, `scatter add ${dtype} axis 1, dst ${layout}`);
        }
        // Many rows into few (an embedding-backward shape): dst [4, 8], index [50, 8] along axis 0.
        const dst = s.input(dtype, data(dtype, 32, 15), [4, 8]);
        const index = s.input('int32', seededInts(400, 16, 0, 3), [50, 8]);
        const src = s.input(dtype, data(dtype, 400, 17), [50, 8]);
        await checkInPlace(ctx, s, dst, () => b.scatter(dst.view, 0, index.view, src.view, 'add'), scatterRef(dst, 0, index, src, 'add', roundFor(dtype)), exact, `scatter add ${dtype} axis 0, 50 rows into 4`);
      });
    }

    ctx.test('scatter add float32 is deterministic: applied in index order', ['float32', 'int32'], async (s, b) => {
      // In float32, ((0 + 1e8) + 1) - 1e8 + 1 = 1 only in this order.
      const srcVals = [1e8, 1, -1e8, 1, 3, 1e8, -1e8, 0.5];
      const dst = s.input('float32', [0, 0], [2]);
      const index = s.input('int32', [0, 0, 0, 0, 1, 1, 1, 1], [8]);
      const src = s.input('float32', srcVals, [8]);
      const expected = scatterRef(dst, 0, index, src, 'add', f32);
      await checkInPlace(ctx, s, dst, () => b.scatter(dst.view, 0, index.view, src.view, 'add'), expected, true, `scatter add in index order (src ${srcVals.join(', ')}; expected ${expected.join(', ')})`);
      // Twice more from a fresh destination: bit-identical each time.
      for (let run = 0; run < 2; run++) {
        const d = s.input('float32', seededValues(16, 30, -1, 1), [16]);
        const idx = s.input('int32', seededInts(4096, 31, 0, 15), [4096]);
        const sv = s.input('float32', seededValues(4096, 32, -1000, 1000), [4096]);
        await checkInPlace(ctx, s, d, () => b.scatter(d.view, 0, idx.view, sv.view, 'add'), scatterRef(d, 0, idx, sv, 'add', f32), true, `scatter add 4096 → 16 in index order (run ${run + 1})`);
      }
    });
  });

  describe('indexAdd', () => {
    for (const dtype of DTYPES) {
      ctx.test(`indexAdd ${dtype} with duplicates along each axis and strided operands`, [dtype, 'int32'], async (s, b) => {
        const exact = dtype === 'int32';
        const r = roundFor(dtype);
        for (const layout of ['contiguous', 'transposed', 'strided'] as Layout[]) {
          const dst = s.input(dtype, data(dtype, 15, 1), [5, 3], layout);
          const index = s.input('int32', [0, 2, 0, 4], [4]);
          const src = s.input(dtype, data(dtype, 12, 2), [4, 3], layout === 'contiguous' ? 'transposed' : 'contiguous');
          await checkInPlace(ctx, s, dst, () => b.indexAdd(dst.view, 0, index.view, src.view), indexAddRef(dst, 0, index, src, r), exact, `indexAdd ${dtype} axis 0, dst ${layout}`);
        }
        const dst1 = s.input(dtype, data(dtype, 15, 3), [3, 5]);
        const index1 = s.input('int32', [4, 4, 1], [3], 'strided');
        const src1 = s.input(dtype, data(dtype, 9, 4), [3, 3], 'strided');
        await checkInPlace(ctx, s, dst1, () => b.indexAdd(dst1.view, 1, index1.view, src1.view), indexAddRef(dst1, 1, index1, src1, r), exact, `indexAdd ${dtype} axis 1, strided index and src`);
        const dst3 = s.input(dtype, data(dtype, 24, 5), [2, 3, 4]);
        const index3 = s.input('int32', [2, 2, 0, 2, 1], [5]);
        const src3 = s.input(dtype, data(dtype, 40, 6), [2, 5, 4]);
        await checkInPlace(ctx, s, dst3, () => b.indexAdd(dst3.view, 1, index3.view, src3.view), indexAddRef(dst3, 1, index3, src3, r), exact, `indexAdd ${dtype} 3-D middle axis`);
        const dstE = s.input(dtype, data(dtype, 6, 7), [2, 3]);
        const idxE = s.input('int32', [], [0]);
        await checkInPlace(ctx, s, dstE, () => b.indexAdd(dstE.view, 0, idxE.view, s.input(dtype, [], [0, 3]).view), [...dstE.values], true, `indexAdd ${dtype} empty index`);
      });
    }

    ctx.test('indexAdd float32 is deterministic: applied in index order', ['float32', 'int32'], async (s, b) => {
      const dst = s.input('float32', [0, 0, 0, 0], [2, 2]);
      const index = s.input('int32', [0, 0, 0, 0], [4]);
      const src = s.input('float32', [1e8, 3, 1, 0.5, -1e8, 1e8, 1, -1e8], [4, 2]);
      const expected = indexAddRef(dst, 0, index, src, f32);
      await checkInPlace(ctx, s, dst, () => b.indexAdd(dst.view, 0, index.view, src.view), expected, true, `indexAdd in index order (expected ${expected.join(', ')})`);
    });
  });

}
