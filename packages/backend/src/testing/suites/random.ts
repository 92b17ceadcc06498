/** `random`: Philox draws must match the `philoxFill` reference stream of the contract. */
import { describe, expect } from '../vitest.js';
import type { DType } from '../../dtype.js';
import { philoxBlocks, philoxFill } from '../../philox.js';
import type { RandomKind } from '../../primitives.js';
import type { SuiteContext } from '../context.js';
import { assertClose, assertEqual, readView, roundToDType, type BufferScope } from '../helpers.js';

function reference(kind: RandomKind, n: number, seed: number, offset: number, p?: number): number[] {
  const out = new Array<number>(n);
  philoxFill(kind, out, n, seed, offset, p);
  return out;
}

async function draw(s: BufferScope, kind: RandomKind, dtype: DType, n: number, seed: number, offset: number, p?: number): Promise<number[]> {
  const out = s.empty(dtype, [n]);
  s.backend.random(kind, out, seed, offset, p);
  return readView(s.backend, out);
}

export function randomSuite(ctx: SuiteContext): void {
  describe('random', () => {
    const seeds: [number, number][] = [[0, 0], [42, 0], [42, 7], [2 ** 33 + 5, 3], [4294967295, 2 ** 32 + 1]];
    const sizes = [1, 4, 13, 1000];

    for (const dtype of ['float32', 'float64'] as DType[]) {
      ctx.test(`uniform ${dtype} is bit-identical to philoxFill`, [dtype], async (s) => {
        for (const [seed, offset] of seeds) {
          for (const n of sizes) {
            const expected = reference('uniform', n, seed, offset).map((v) => roundToDType(dtype, v));
            assertEqual(await draw(s, 'uniform', dtype, n, seed, offset), expected, { label: `uniform ${dtype} n=${n} seed=${seed} offset=${offset}` });
          }
        }
      });
      ctx.test(`normal ${dtype} matches philoxFill within ${ctx.normalRtol} relative`, [dtype], async (s) => {
        for (const [seed, offset] of seeds) {
          for (const n of [...sizes, 7]) {
            const expected = reference('normal', n, seed, offset).map((v) => roundToDType(dtype, v));
            // Relative to max(1, |z|): the error of an approximate log/cos does not shrink near z = 0.
            assertClose(await draw(s, 'normal', dtype, n, seed, offset), expected, {
              rtol: ctx.normalRtol,
              atol: ctx.normalRtol,
              label: `normal ${dtype} n=${n} seed=${seed} offset=${offset}`,
            });
          }
        }
      });
    }

    for (const dtype of ['float32', 'bool'] as DType[]) {
      ctx.test(`bernoulli into ${dtype} is identical to philoxFill`, [dtype], async (s) => {
        for (const p of [0.3, 0.5, 0.9]) {
          for (const [seed, offset] of seeds) {
            for (const n of sizes) {
              assertEqual(await draw(s, 'bernoulli', dtype, n, seed, offset, p), reference('bernoulli', n, seed, offset, p), {
                label: `bernoulli(${p}) ${dtype} n=${n} seed=${seed} offset=${offset}`,
              });
            }
          }
        }
        assertEqual(await draw(s, 'bernoulli', dtype, 50, 1, 0, 0), new Array<number>(50).fill(0), { label: 'bernoulli(0) draws no ones' });
        assertEqual(await draw(s, 'bernoulli', dtype, 50, 1, 0, 1), new Array<number>(50).fill(1), { label: 'bernoulli(1) draws only ones' });
      });
    }

    ctx.test('offsets select disjoint parts of one stream', ['float32'], async (s) => {
      for (const kind of ['uniform', 'normal'] as const) {
        const whole = await draw(s, kind, 'float32', 16, 9, 0);
        const first = await draw(s, kind, 'float32', 8, 9, 0);
        const second = await draw(s, kind, 'float32', 8, 9, philoxBlocks(kind, 8));
        assertEqual([...first, ...second], whole, { label: `${kind}: 8 at offset 0 then 8 at offset ${philoxBlocks(kind, 8)} equal 16 at offset 0` });
        const other = await draw(s, kind, 'float32', 16, 9, 1);
        expect(other.some((v, i) => v !== whole[i]), `${kind}: offsets 0 and 1 draw different streams`).toBe(true);
        const otherSeed = await draw(s, kind, 'float32', 16, 10, 0);
        expect(otherSeed.some((v, i) => v !== whole[i]), `${kind}: seeds 9 and 10 draw different streams`).toBe(true);
        expect(await draw(s, kind, 'float32', 16, 9, 0), `${kind}: the same (seed, offset) draws the same stream`).toEqual(whole);
      }
    });

    ctx.test('draws of zero elements', ['float32', 'bool'], async (s) => {
      expect(await draw(s, 'uniform', 'float32', 0, 1, 0)).toEqual([]);
      expect(await draw(s, 'normal', 'float32', 0, 1, 0)).toEqual([]);
      expect(await draw(s, 'bernoulli', 'bool', 0, 1, 0, 0.5)).toEqual([]);
    });
  });
}
