/** Both sort algorithms (ranking and the bitonic network) against a stable JS reference. */
import { contiguousStrides, type TensorView } from '@torchlet/backend';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebGPUBuffer } from '../buffer.js';
import { openTestBackend } from '../testing.js';
import { SORT_CONFIG } from './sort.js';

const { backend, reason } = await openTestBackend();
afterAll(() => backend?.destroy());

function view(buffer: WebGPUBuffer, shape: number[], strides = contiguousStrides(shape), offset = 0): TensorView {
  return { buffer, dtype: buffer.dtype, shape, strides, offset };
}

/** Stable permutation; NaN last ascending, first descending. */
function permutation(line: number[], descending: boolean): number[] {
  const key = (v: number) => (Number.isNaN(v) ? (descending ? -Infinity : Infinity) : v);
  const nanFirst = (a: number, b: number) => (Number.isNaN(a) === Number.isNaN(b) ? 0 : Number.isNaN(a) ? -1 : 1);
  return line
    .map((_, i) => i)
    .sort((i, j) => {
      const a = line[i]!;
      const b = line[j]!;
      if (Number.isNaN(a) || Number.isNaN(b)) return descending ? nanFirst(a, b) : -nanFirst(a, b);
      return descending ? key(b) - key(a) : key(a) - key(b);
    });
}

describe.skipIf(!backend)(`sort, both algorithms${backend ? '' : ` (skipped: ${reason})`}`, () => {
  const cases: [string, number, number, number][] = [
    // label, rankMax, rows, length
    ['bitonic, long rows with ties and NaN', 1024, 2, 3000],
    ['bitonic forced on short odd rows', 0, 5, 37],
    ['ranking, short rows', 1024, 5, 37],
  ];
  for (const dtype of ['float32', 'int32'] as const) {
    for (const [label, rankMax, rows, len] of cases) {
      it(`${dtype}: ${label}`, async () => {
        const b = backend!;
        const saved = SORT_CONFIG.rankMax;
        SORT_CONFIG.rankMax = rankMax;
        try {
          const n = rows * len;
          const data = Array.from({ length: n }, (_, i) => {
            const v = ((i * 7919) % 101) - 50;
            if (dtype === 'float32' && i % 17 === 5) return NaN;
            return dtype === 'float32' ? v / 4 : v;
          });
          // stored transposed: memory is [len, rows], the view is [rows, len]
          const phys = new Array<number>(n);
          for (let r = 0; r < rows; r++) for (let c = 0; c < len; c++) phys[c * rows + r] = data[r * len + c]!;
          const x = b.alloc(dtype, n);
          b.write(x, dtype === 'float32' ? Float32Array.from(phys) : Int32Array.from(phys));
          for (const descending of [false, true]) {
            const values = b.alloc(dtype, n);
            const indices = b.alloc('int32', n);
            b.sort(view(x, [rows, len], [1, rows]), 1, descending, view(values, [rows, len]), view(indices, [rows, len]));
            const gotV = Array.from(await b.read(values));
            const gotI = Array.from(await b.read(indices));
            for (let r = 0; r < rows; r++) {
              const line = data.slice(r * len, (r + 1) * len);
              const perm = permutation(line, descending);
              expect(gotI.slice(r * len, (r + 1) * len), `row ${r} indices (${descending ? 'desc' : 'asc'})`).toEqual(perm);
              expect(gotV.slice(r * len, (r + 1) * len), `row ${r} values`).toEqual(perm.map((i) => line[i]!));
            }
            b.free(values);
            b.free(indices);
          }
          b.free(x);
        } finally {
          SORT_CONFIG.rankMax = saved;
        }
      });
    }
  }
});
