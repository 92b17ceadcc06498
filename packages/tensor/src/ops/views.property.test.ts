/**
 * Property tests: random chains of permute / transpose / slice / select / expand / reshape /
 * unsqueeze / squeeze against a naive reference that materialises every step. The base is
 * arange(n), so each reference element is also the base position it must alias.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arange, memoryStats, type Tensor } from '../index.js';

interface Ref {
  shape: number[];
  data: number[];
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= shape[i]!;
  }
  return s;
}

function build(shape: number[], at: (idx: number[]) => number): Ref {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Array<number>(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    data[i] = at(idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { shape, data };
}

function get(ref: Ref, idx: readonly number[]): number {
  const s = stridesOf(ref.shape);
  let p = 0;
  for (let d = 0; d < idx.length; d++) p += idx[d]! * s[d]!;
  return ref.data[p]!;
}

interface Step {
  kind: number;
  a: number;
  b: number;
  c: number;
  d: number;
}

/** Applies one random step to both the tensor and the reference; returns null when it does not apply. */
function apply(t: Tensor, ref: Ref, s: Step): { t: Tensor; ref: Ref; label: string } | null {
  const nd = ref.shape.length;
  switch (s.kind) {
    case 0: {
      if (nd === 0) return null;
      // A random permutation from the seeds.
      const dims = Array.from({ length: nd }, (_, i) => i);
      for (let i = nd - 1; i > 0; i--) {
        const j = (s.a + s.b * i) % (i + 1);
        [dims[i], dims[j]] = [dims[j]!, dims[i]!];
      }
      const shape = dims.map((d) => ref.shape[d]!);
      return {
        t: t.permute(dims),
        ref: build(shape, (idx) => {
          const src = new Array<number>(nd);
          dims.forEach((d, i) => (src[d] = idx[i]!));
          return get(ref, src);
        }),
        label: `permute(${dims})`,
      };
    }
    case 1: {
      if (nd === 0) return null;
      const dim = s.a % nd;
      const n = ref.shape[dim]!;
      const start = s.b % (n + 1);
      const stop = start + (s.c % (n - start + 1));
      const step = 1 + (s.d % 3);
      const len = Math.max(0, Math.ceil((stop - start) / step));
      const items: string[] = new Array<string>(nd).fill(':');
      items[dim] = `${start}:${stop}:${step}`;
      const shape = [...ref.shape];
      shape[dim] = len;
      return {
        t: t.index(...items),
        ref: build(shape, (idx) => {
          const src = [...idx];
          src[dim] = start + idx[dim]! * step;
          return get(ref, src);
        }),
        label: `index(${items.join(', ')})`,
      };
    }
    case 2: {
      if (nd === 0) return null;
      const dim = s.a % nd;
      const n = ref.shape[dim]!;
      if (n === 0) return null;
      const i = s.b % n;
      const neg = s.c % 2 === 1;
      const shape = ref.shape.filter((_, d) => d !== dim);
      return {
        t: t.select(dim, neg ? i - n : i),
        ref: build(shape, (idx) => get(ref, [...idx.slice(0, dim), i, ...idx.slice(dim)])),
        label: `select(${dim}, ${neg ? i - n : i})`,
      };
    }
    case 3: {
      // expand: size-1 dims grow, plus an optional new leading dim
      const lead = s.c % 2;
      const target = [...new Array<number>(lead).fill(1 + (s.d % 3)), ...ref.shape.map((n, d) => (n === 1 && (s.a >> d) % 2 === 1 ? 1 + (s.b % 3) : n))];
      const args = target.map((n, i) => (i >= lead && ref.shape[i - lead] === n && s.d % 2 === 0 ? -1 : n));
      return {
        t: t.expand(args),
        ref: build(target, (idx) => get(ref, ref.shape.map((n, d) => (n === 1 ? 0 : idx[d + lead]!)))),
        label: `expand(${args})`,
      };
    }
    case 4: {
      // reshape: flatten, merge two adjacent dims, or split one dim
      const mode = s.a % 3;
      let shape: number[];
      if (mode === 0 || nd < 2) shape = [ref.data.length];
      else if (mode === 1) {
        const d = s.b % (nd - 1);
        shape = [...ref.shape.slice(0, d), ref.shape[d]! * ref.shape[d + 1]!, ...ref.shape.slice(d + 2)];
      } else {
        const d = s.b % nd;
        const n = ref.shape[d]!;
        const f = [1, 2, 3].find((k) => n % k === 0 && k === 1 + (s.c % 3)) ?? 1;
        shape = [...ref.shape.slice(0, d), f, n / f, ...ref.shape.slice(d + 1)];
      }
      return { t: t.reshape(shape), ref: { shape, data: ref.data }, label: `reshape(${shape})` };
    }
    case 5: {
      const d = s.a % (nd + 1);
      return { t: t.unsqueeze(d), ref: { shape: [...ref.shape.slice(0, d), 1, ...ref.shape.slice(d)], data: ref.data }, label: `unsqueeze(${d})` };
    }
    case 6: {
      return { t: t.squeeze(), ref: { shape: ref.shape.filter((n) => n !== 1), data: ref.data }, label: 'squeeze()' };
    }
    default: {
      if (nd < 2) return null;
      const a = s.a % nd;
      const b = s.b % nd;
      const shape = [...ref.shape];
      [shape[a], shape[b]] = [shape[b]!, shape[a]!];
      return {
        t: t.transpose(a, b),
        ref: build(shape, (idx) => {
          const src = [...idx];
          [src[a], src[b]] = [src[b]!, src[a]!];
          return get(ref, src);
        }),
        label: `transpose(${a}, ${b})`,
      };
    }
  }
}

const stepArb = fc.record({ kind: fc.integer({ min: 0, max: 7 }), a: fc.nat(64), b: fc.nat(64), c: fc.nat(64), d: fc.nat(64) });
const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });

describe('random view chains agree with a naive reference', () => {
  it('values, shapes and aliasing', () => {
    const before = memoryStats();
    fc.assert(
      fc.property(shapeArb, fc.array(stepArb, { maxLength: 6 }), (shape, steps) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const flat = arange(n, { dtype: 'float32' });
        const base = flat.view(shape);
        flat.dispose();
        let t = base;
        let ref: Ref = { shape, data: Array.from({ length: n }, (_, i) => i) };
        const labels: string[] = [];
        try {
          for (const s of steps) {
            const next = apply(t, ref, s);
            if (!next) continue;
            if (t !== base) t.dispose();
            t = next.t;
            ref = next.ref;
            labels.push(next.label);
          }
          expect(t.shape, labels.join(' → ')).toEqual(ref.shape);
          expect(Array.from(t.dataSync()), labels.join(' → ')).toEqual(ref.data);
          // A view that still aliases the base and has no repeated elements writes through.
          const overlapping = t.shape.some((m, d) => m > 1 && t.strides[d] === 0);
          if (t.storage === base.storage && !overlapping && ref.data.length > 0) {
            const last = t.shape.map((m) => m - 1);
            t.set(last, -1);
            expect(base.dataSync()[ref.data[ref.data.length - 1]!], labels.join(' → ')).toBe(-1);
          }
        } finally {
          if (t !== base) t.dispose();
          base.dispose();
        }
      }),
      { numRuns: 500 },
    );
    expect(memoryStats().liveTensors).toBe(before.liveTensors);
    expect(memoryStats().liveStorages).toBe(before.liveStorages);
  });
});
