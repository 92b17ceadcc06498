/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3").
 *
 * The element→counter mapping is part of the backend contract, so that every device
 * draws the same stream for the same `(seed, offset)`:
 *
 * - key = (seed mod 2^32, floor(seed / 2^32) mod 2^32); counter = (block mod 2^32, floor(block / 2^32), 0, 0)
 * - uniform / bernoulli: element i reads lane i % 4 of block `offset + floor(i / 4)`;
 *   u = (x >>> 8) · 2^-24 ∈ [0, 1); bernoulli(p) = u < p.
 * - normal: element i reads lanes 2(i % 2) and 2(i % 2) + 1 of block `offset + floor(i / 2)`;
 *   Box–Muller with u1 = ((x0 >>> 8) + 1) · 2^-24 ∈ (0, 1], u2 = (x1 >>> 8) · 2^-24,
 *   z = sqrt(-2 ln u1) · cos(2π u2).
 *
 * A draw of n elements consumes `philoxBlocks(kind, n)` blocks; the generator on the host
 * advances its offset by that much.
 */
import type { RandomKind } from './primitives.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the unsigned 64-bit product a·b. */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lolo = aLo * bLo;
  const mid1 = aHi * bLo;
  const mid2 = aLo * bHi;
  const carry = ((lolo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (aHi * bHi + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
}

/**
 * Computes one Philox block into `out` (4 uint32 lanes). No allocation: hot loops pass
 * the same `out` each time.
 */
export function philoxBlock(seedLo: number, seedHi: number, block: number, out: Uint32Array): void {
  let c0 = block >>> 0;
  let c1 = Math.floor(block / 4294967296) >>> 0;
  let c2 = 0;
  let c3 = 0;
  let k0 = seedLo >>> 0;
  let k1 = seedHi >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** A seed (an integer below 2^53) as its low and high 32-bit words, Philox's key. */
export function splitSeed(seed: number): [lo: number, hi: number] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/** Number of Philox blocks a draw of `n` elements consumes. */
export function philoxBlocks(kind: RandomKind, n: number): number {
  return kind === 'normal' ? Math.ceil(n / 2) : Math.ceil(n / 4);
}

const INV_2_24 = 1 / 16777216;

/** A uniform float in [0, 1) from 32 random bits (their top 24, so it is exact in float32). */
export function uniformFromBits(x: number): number {
  return (x >>> 8) * INV_2_24;
}

/** A standard normal float from two 32-bit words (Box–Muller, cosine branch). */
export function normalFromBits(x0: number, x1: number): number {
  const u1 = ((x0 >>> 8) + 1) * INV_2_24;
  const u2 = (x1 >>> 8) * INV_2_24;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Reference fill of `out[0..n)` with the contract's stream. Backends may use it directly
 * (CPU) or test their own kernels against it (WebGPU).
 */
export function philoxFill(
  kind: RandomKind,
  out: { [i: number]: number; length: number },
  n: number,
  seed: number,
  offset: number,
  p = 0.5,
): void {
  const [lo, hi] = splitSeed(seed);
  const lanes = new Uint32Array(4);
  if (kind === 'normal') {
    for (let i = 0; i < n; i += 2) {
      philoxBlock(lo, hi, offset + i / 2, lanes);
      out[i] = normalFromBits(lanes[0]!, lanes[1]!);
      if (i + 1 < n) out[i + 1] = normalFromBits(lanes[2]!, lanes[3]!);
    }
    return;
  }
  for (let i = 0; i < n; i += 4) {
    philoxBlock(lo, hi, offset + i / 4, lanes);
    const m = Math.min(4, n - i);
    for (let l = 0; l < m; l++) {
      const u = uniformFromBits(lanes[l]!);
      out[i + l] = kind === 'bernoulli' ? (u < p ? 1 : 0) : u;
    }
  }
}
