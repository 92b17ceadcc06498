/**
 * Property tests: broadcasting binary ops and reductions on random shapes, against a
 * naive reference over flat arrays with explicit index arithmetic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as torch from '../index.js';

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return idx;
}

/** Reference broadcast: element of `values` (laid out in `shape`) seen at `outIdx` of the broadcast shape. */
function broadcastRead(values: number[], shape: readonly number[], outIdx: readonly number[]): number {
  const st = stridesOf(shape);
  const lead = outIdx.length - shape.length;
  let off = 0;
  for (let i = 0; i < shape.length; i++) off += (shape[i] === 1 ? 0 : outIdx[lead + i]!) * st[i]!;
  return values[off]!;
}

const dim = fc.integer({ min: 1, max: 4 });

/** Two shapes that broadcast: b takes a suffix of a's dims, each kept or set to 1; a may get 1s too. */
const broadcastPair = fc
  .array(dim, { minLength: 0, maxLength: 4 })
  .chain((base) =>
    fc.tuple(
      fc.constant(base),
      fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
      fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
      fc.integer({ min: 0, max: base.length }),
    ),
  )
  .map(([base, onesA, onesB, drop]) => {
    const a = base.map((d, i) => (onesA[i] ? 1 : d));
    const b = base.slice(drop).map((d, i) => (onesB[i + drop] ? 1 : d));
    return [a, b] as const;
  });

function valuesFor(shape: readonly number[], seed: number): number[] {
  const n = shape.reduce((p, d) => p * d, 1);
  return Array.from({ length: n }, (_, i) => Math.round(Math.sin(seed * 31 + i * 7.3) * 100) / 10);
}

describe('broadcasting (property)', () => {
  it('add/mul/maximum/lt of broadcastable shapes match the reference', () => {
    fc.assert(
      fc.property(broadcastPair, fc.integer({ min: 0, max: 1000 }), ([sa, sb], seed) => {
        const va = valuesFor(sa, seed);
        const vb = valuesFor(sb, seed + 1);
        const out = torch.broadcastShapes(sa, sb);
        torch.tidy(() => {
          const a = torch.tensor(va, { shape: sa });
          const b = torch.tensor(vb, { shape: sb });
          const results = { add: a.add(b), mul: a.mul(b), maximum: a.maximum(b), lt: a.lt(b) };
          const n = out.reduce((p, d) => p * d, 1);
          for (const [name, t] of Object.entries(results)) {
            expect(t.shape).toEqual(out);
            const got = t.dataSync();
            for (let i = 0; i < n; i++) {
              const idx = unravel(i, out);
              const x = broadcastRead(va, sa, idx);
              const y = broadcastRead(vb, sb, idx);
              const want = name === 'add' ? x + y : name === 'mul' ? x * y : name === 'maximum' ? Math.max(x, y) : Number(x < y);
              expect(got[i]).toBeCloseTo(want, 4);
            }
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('incompatible shapes raise a ShapeError naming both shapes', () => {
    const a = torch.zeros([2, 3]);
    const b = torch.zeros([4]);
    expect(() => a.add(b)).toThrow(torch.ShapeError);
    expect(() => a.add(b)).toThrow(/\[2, 3\] and \[4\]/);
    a.dispose();
    b.dispose();
  });
});

const shapeArb = fc.array(dim, { minLength: 1, maxLength: 4 });

describe('reductions (property)', () => {
  it('sum/amax/mean over random dim subsets match the reference, with and without keepdim', () => {
    fc.assert(
      fc.property(
        shapeArb.chain((shape) =>
          fc.tuple(fc.constant(shape), fc.subarray(shape.map((_, i) => i), { minLength: 1 }), fc.boolean(), fc.integer({ min: 0, max: 999 })),
        ),
        ([shape, dims, keepdim, seed]) => {
          const values = valuesFor(shape, seed);
          const outShape = shape.map((d, i) => (dims.includes(i) ? 1 : d));
          const nOut = outShape.reduce((p, d) => p * d, 1);
          const sums = new Array<number>(nOut).fill(0);
          const maxes = new Array<number>(nOut).fill(-Infinity);
          const outStrides = stridesOf(outShape);
          values.forEach((v, flat) => {
            const idx = unravel(flat, shape);
            let o = 0;
            idx.forEach((k, i) => (o += (dims.includes(i) ? 0 : k) * outStrides[i]!));
            sums[o] += v;
            maxes[o] = Math.max(maxes[o]!, v);
          });
          const count = dims.reduce((p, d) => p * shape[d]!, 1);
          const expectedShape = keepdim ? outShape : shape.filter((_, i) => !dims.includes(i));
          torch.tidy(() => {
            const x = torch.tensor(values, { shape });
            const s = x.sum({ dim: dims, keepdim });
            const m = x.amax(dims, { keepdim });
            const mean = x.mean({ dim: dims, keepdim });
            expect(s.shape).toEqual(expectedShape);
            expect(m.shape).toEqual(expectedShape);
            const sd = s.dataSync();
            const md = m.dataSync();
            const meand = mean.dataSync();
            for (let i = 0; i < nOut; i++) {
              expect(sd[i]).toBeCloseTo(sums[i]!, 3);
              expect(md[i]).toBeCloseTo(maxes[i]!, 5);
              expect(meand[i]).toBeCloseTo(sums[i]! / count, 4);
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
