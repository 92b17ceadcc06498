/**
 * The random-draw kernel of the backend's Wasm module: the backend contract's Philox4x32-10
 * stream (@torchlet/backend's philox.ts) for uniform and bernoulli draws into float32, bit
 * for bit the values of `philoxFill`.
 *
 * `philox(tid, params, b0, b1)` fills the elements of Philox blocks [b0, b1) of a draw
 * (block b holds elements 4b … 4b+3; the last block of a draw may be partial) from a
 * parameter block laid out as `PHILOX` (one i32 word each):
 *
 * - `out`: byte address of element 0; `n`: elements in the whole draw;
 * - `seedLo`, `seedHi`: the key; `offLo`, `offHi`: the 64-bit block offset, so block b uses
 *   the counter (offset + b) mod 2^64 split into (c0, c1);
 * - `bernoulli`: 0 for uniform draws, 1 for bernoulli; `threshold`: the bernoulli cut t, the
 *   smallest k with k·2^-24 >= p, so that u = k·2^-24 < p ⟺ k < t in integers.
 *
 * Four blocks at a time run in the four lanes of i32x4 vectors (the 32×32→64 products by
 * i64x2.extmul, a 4×4 transpose to element order before the store); leftover blocks and a
 * partial last block run one at a time with scalar i64 products. Uniform values are
 * (x >>> 8) converted to float32 and scaled by 2^-24, both exact. Blocks are independent, so
 * the thread pool shares them out (ranges starting at multiples of 4 keep the groups whole).
 */
import { I32, I64, V128, type Code, type FunctionBuilder, type Local, type ModuleBuilder } from './encoder.js';

export const PHILOX = ['out', 'n', 'seedLo', 'seedHi', 'offLo', 'offHi', 'bernoulli', 'threshold'] as const;
type Field = (typeof PHILOX)[number];

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const ROUNDS = 10;
const INV_2_24 = 1 / 16777216;
/** float32 1.0: bernoulli lanes are this masked by the comparison. */
const ONE_BITS = 0x3f800000;

/** `i8x16.shuffle` byte indices picking i32 lanes (0–3 from the first vector, 4–7 from the second). */
function lanes32(...idx: number[]): number[] {
  return idx.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
}
/** High / low 32 bits of two i64x2 products, in lane order. */
const HIGH_WORDS = lanes32(1, 3, 5, 7);
const LOW_WORDS = lanes32(0, 2, 4, 6);
/** The 4×4 transpose, in two steps. */
const PAIRS_LO = lanes32(0, 4, 1, 5);
const PAIRS_HI = lanes32(2, 6, 3, 7);
const HALVES_LO = lanes32(0, 1, 4, 5);
const HALVES_HI = lanes32(2, 3, 6, 7);

interface Kernel {
  f: FunctionBuilder;
  c: Code;
  p: Record<Field, Local>;
  /** Round keys: scalar and splatted. */
  k0: Local[];
  k1: Local[];
  kv0: Local[];
  kv1: Local[];
}

/**
 * Ten rounds on four blocks at once: lane j of s[w] is word w of block j. The first round
 * starts from c2 = c3 = 0, so its second product vanishes.
 */
function vectorRounds(k: Kernel, s: readonly Local[], m0: Local, m1: Local): void {
  const { f, c } = k;
  const [c0, c1, c2, c3] = s as [Local, Local, Local, Local];
  const pl = f.local(V128);
  const ph = f.local(V128);
  const next2 = f.local(V128);
  for (let r = 0; r < ROUNDS; r++) {
    // (hi0, lo0) = M0 · c0 → c2' = hi0 ^ c3 ^ k1, c3' = lo0
    c.get(c0).get(m0).op('i64x2.extmul_low_i32x4_u').set(pl);
    c.get(c0).get(m0).op('i64x2.extmul_high_i32x4_u').set(ph);
    c.get(pl).get(ph).shuffle(HIGH_WORDS);
    if (r > 0) c.get(c3).op('v128.xor');
    c.get(k.kv1[r]!).op('v128.xor').set(next2);
    c.get(pl).get(ph).shuffle(LOW_WORDS).set(c3);
    if (r === 0) {
      c.get(c1).get(k.kv0[r]!).op('v128.xor').set(c0);
      c.i32x4(0).set(c1);
    } else {
      // (hi1, lo1) = M1 · c2 → c0' = hi1 ^ c1 ^ k0, c1' = lo1
      c.get(c2).get(m1).op('i64x2.extmul_low_i32x4_u').set(pl);
      c.get(c2).get(m1).op('i64x2.extmul_high_i32x4_u').set(ph);
      c.get(pl).get(ph).shuffle(HIGH_WORDS).get(c1).op('v128.xor').get(k.kv0[r]!).op('v128.xor').set(c0);
      c.get(pl).get(ph).shuffle(LOW_WORDS).set(c1);
    }
    c.get(next2).set(c2);
  }
}

/** Ten rounds on one block, with i64 products. */
function scalarRounds(k: Kernel, s: readonly Local[], m0: Local, m1: Local, shift: Local): void {
  const { f, c } = k;
  const [c0, c1, c2, c3] = s as [Local, Local, Local, Local];
  const p0 = f.local(I64);
  const p1 = f.local(I64);
  const next2 = f.local(I32);
  for (let r = 0; r < ROUNDS; r++) {
    c.get(c0).op('i64.extend_i32_u').get(m0).op('i64.mul').set(p0);
    c.get(c2).op('i64.extend_i32_u').get(m1).op('i64.mul').set(p1);
    c.get(p0).get(shift).op('i64.shr_u', 'i32.wrap_i64').get(c3).op('i32.xor').get(k.k1[r]!).op('i32.xor').set(next2);
    c.get(p0).op('i32.wrap_i64').set(c3);
    c.get(p1).get(shift).op('i64.shr_u', 'i32.wrap_i64').get(c1).op('i32.xor').get(k.k0[r]!).op('i32.xor').set(c0);
    c.get(p1).op('i32.wrap_i64').set(c1);
    c.get(next2).set(c2);
  }
}

/** Pushes the float32 value of lane word `x` (a uniform draw or a bernoulli 0/1). */
function scalarValue(k: Kernel, x: Local, bernoulli: boolean): void {
  const c = k.c;
  c.get(x).i32(8).op('i32.shr_u');
  if (bernoulli) c.get(k.p.threshold).op('i32.lt_s', 'f32.convert_i32_s');
  else c.op('f32.convert_i32_s').f32(INV_2_24).op('f32.mul');
}

/** The loops over blocks [b0, b1) for one kind of draw. */
function fill(k: Kernel, b0: Local, b1: Local, bernoulli: boolean): void {
  const { f, c, p } = k;
  const b = f.local(I32);
  const end = f.local(I32);
  const ptr = f.local(I32);
  const ctr = f.local(I32);
  const m0v = f.local(V128);
  const m1v = f.local(V128);
  const offv = f.local(V128);
  const threshold = f.local(V128);
  const one = f.local(V128);
  const scale = f.local(V128);
  const sv = [0, 1, 2, 3].map(() => f.local(V128));
  const tv = [0, 1, 2, 3].map(() => f.local(V128));
  c.i32(M0).op('i32x4.splat').set(m0v);
  c.i32(M1).op('i32x4.splat').set(m1v);
  c.get(p.offLo).op('i32x4.splat').set(offv);
  c.get(p.threshold).op('i32x4.splat').set(threshold);
  c.i32(ONE_BITS).op('i32x4.splat').set(one);
  c.f32x4(INV_2_24).set(scale);

  // groups of four whole blocks: up to b1 and to the last block with all four elements
  c.get(p.n).i32(2).op('i32.shr_s').tee(end).get(b1).get(end).get(b1).op('i32.lt_s', 'select').set(end);
  c.get(b0).set(b);
  c.while(
    (c) => c.get(b).i32(4).op('i32.add').get(end).op('i32.le_s'),
    (c) => {
      // counters (offset + b + j) mod 2^64, j = 0…3: the low word wraps below offLo on a carry,
      // where the comparison's mask is -1, so subtracting it adds the carry
      c.get(p.offLo).get(b).op('i32.add').op('i32x4.splat').i32x4(0, 1, 2, 3).op('i32x4.add').set(sv[0]!);
      c.get(p.offHi).op('i32x4.splat').get(sv[0]!).get(offv).op('i32x4.lt_u', 'i32x4.sub').set(sv[1]!);
      vectorRounds(k, sv, m0v, m1v);
      for (let w = 0; w < 4; w++) {
        c.get(sv[w]!).i32(8).op('i32x4.shr_u');
        if (bernoulli) c.get(threshold).op('i32x4.lt_s').get(one).op('v128.and');
        else c.op('f32x4.convert_i32x4_s').get(scale).op('f32x4.mul');
        c.set(sv[w]!);
      }
      c.get(sv[0]!).get(sv[1]!).shuffle(PAIRS_LO).set(tv[0]!);
      c.get(sv[2]!).get(sv[3]!).shuffle(PAIRS_LO).set(tv[1]!);
      c.get(sv[0]!).get(sv[1]!).shuffle(PAIRS_HI).set(tv[2]!);
      c.get(sv[2]!).get(sv[3]!).shuffle(PAIRS_HI).set(tv[3]!);
      c.get(p.out).get(b).i32(4).op('i32.shl', 'i32.add').set(ptr);
      c.get(ptr).get(tv[0]!).get(tv[1]!).shuffle(HALVES_LO).mem('v128.store', 0);
      c.get(ptr).get(tv[0]!).get(tv[1]!).shuffle(HALVES_HI).mem('v128.store', 16);
      c.get(ptr).get(tv[2]!).get(tv[3]!).shuffle(HALVES_LO).mem('v128.store', 32);
      c.get(ptr).get(tv[2]!).get(tv[3]!).shuffle(HALVES_HI).mem('v128.store', 48);
      c.inc(b, 4);
    },
  );

  // the rest one block at a time; the draw's last block may hold fewer than four elements
  const s = [0, 1, 2, 3].map(() => f.local(I32));
  const m0 = f.local(I64);
  const m1 = f.local(I64);
  const shift = f.local(I64);
  const left = f.local(I32);
  c.i32(M0).op('i64.extend_i32_u').set(m0);
  c.i32(M1).op('i64.extend_i32_u').set(m1);
  c.i32(32).op('i64.extend_i32_u').set(shift);
  c.while(
    (c) => c.get(b).get(b1).op('i32.lt_s'),
    (c) => {
      c.get(p.offLo).get(b).op('i32.add').tee(ctr).set(s[0]!);
      c.get(p.offHi).get(ctr).get(p.offLo).op('i32.lt_u', 'i32.add').set(s[1]!);
      c.i32(0).set(s[2]!);
      c.i32(0).set(s[3]!);
      scalarRounds(k, s, m0, m1, shift);
      c.get(p.out).get(b).i32(4).op('i32.shl', 'i32.add').set(ptr);
      c.get(p.n).get(b).i32(2).op('i32.shl', 'i32.sub').set(left);
      for (let w = 0; w < 4; w++) {
        if (w > 0) c.get(left).i32(w).op('i32.gt_s').if();
        c.get(ptr);
        scalarValue(k, s[w]!, bernoulli);
        c.mem('f32.store', 4 * w);
        if (w > 0) c.end();
      }
      c.inc(b);
    },
  );
}

/** Adds `philox(tid, params, b0, b1)` to the module. */
export function randomKernels(m: ModuleBuilder): void {
  const f = m.func([I32, I32, I32, I32], [], 'philox');
  const [, params, b0, b1] = f.params as [Local, Local, Local, Local];
  const c = f.code;
  const p = {} as Record<Field, Local>;
  PHILOX.forEach((field, i) => {
    p[field] = f.local(I32);
    c.get(params).mem('i32.load', 4 * i).set(p[field]);
  });
  const k: Kernel = { f, c, p, k0: [], k1: [], kv0: [], kv1: [] };
  // round keys (k0 + r·W0, k1 + r·W1) mod 2^32, scalar and splatted
  for (let r = 0; r < ROUNDS; r++) {
    const k0 = f.local(I32);
    const k1 = f.local(I32);
    const kv0 = f.local(V128);
    const kv1 = f.local(V128);
    c.get(p.seedLo).i32(Math.imul(r, W0)).op('i32.add').tee(k0).op('i32x4.splat').set(kv0);
    c.get(p.seedHi).i32(Math.imul(r, W1)).op('i32.add').tee(k1).op('i32x4.splat').set(kv1);
    k.k0.push(k0);
    k.k1.push(k1);
    k.kv0.push(kv0);
    k.kv1.push(kv1);
  }
  c.get(p.bernoulli).if();
  fill(k, b0, b1, true);
  c.else();
  fill(k, b0, b1, false);
  c.end();
}
