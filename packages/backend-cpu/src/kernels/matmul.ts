/**
 * Batched matmul on strided operands.
 *
 * Large products use a GotoBLAS-style blocked kernel: for each (NC × KC) block of B and
 * (MC × KC) block of A, the operands are packed — whatever their strides, so transposes cost
 * nothing extra — into contiguous float64 panels of 4 columns / 4 rows, and a 4×4
 * register-blocked micro-kernel streams through them accumulating into a float64 C. The
 * packed panels fit in cache, and every micro-kernel load is sequential. Small products
 * skip packing and run a plain strided dot-product loop.
 */
import type { TensorView } from '@torchlet/backend';
import { dataOf } from '../buffer.js';
import { lineStarts } from '../codegen/strided-loop.js';

type FloatArray = Float32Array | Float64Array;

const MR = 4;
const NR = 4;
/** Block sizes: a KC×NC B block (256 KiB of float64) in L2, an MC×KC A block (128 KiB). */
const MC = 64;
const KC = 256;
const NC = 128;
/** Below this many multiply-adds packing does not pay for itself. */
const SMALL = 32 * 32 * 32;

export function matmul(a: TensorView, b: TensorView, out: TensorView): void {
  const rank = out.shape.length;
  if (rank < 2 || a.shape.length !== rank || b.shape.length !== rank) {
    throw new Error(
      `matmul: expected operands of rank ${rank} >= 2, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}] into [${out.shape.join(', ')}]`,
    );
  }
  if (out.dtype !== 'float32' && out.dtype !== 'float64') {
    throw new TypeError(`matmul: cpu matmul supports float32 and float64, got ${out.dtype}`);
  }
  const M = a.shape[rank - 2]!;
  const K = a.shape[rank - 1]!;
  const N = b.shape[rank - 1]!;
  if (b.shape[rank - 2] !== K || out.shape[rank - 2] !== M || out.shape[rank - 1] !== N) {
    throw new Error(
      `matmul: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] cannot be multiplied into [${out.shape.join(', ')}]`,
    );
  }
  const batchShape = out.shape.slice(0, rank - 2);
  for (let d = 0; d < rank - 2; d++) {
    if (a.shape[d] !== batchShape[d] || b.shape[d] !== batchShape[d]) {
      throw new Error(`matmul: batch dims of [${a.shape.join(', ')}] and [${b.shape.join(', ')}] are not broadcast to [${batchShape.join(', ')}]`);
    }
  }
  const A = dataOf(a) as FloatArray;
  const B = dataOf(b) as FloatArray;
  const C = dataOf(out) as FloatArray;
  const aStarts = lineStarts(batchShape, -1, a.strides.slice(0, rank - 2), a.offset);
  const bStarts = lineStarts(batchShape, -1, b.strides.slice(0, rank - 2), b.offset);
  const cStarts = lineStarts(batchShape, -1, out.strides.slice(0, rank - 2), out.offset);
  const rsA = a.strides[rank - 2]!;
  const csA = a.strides[rank - 1]!;
  const rsB = b.strides[rank - 2]!;
  const csB = b.strides[rank - 1]!;
  const rsC = out.strides[rank - 2]!;
  const csC = out.strides[rank - 1]!;
  if (M === 0 || N === 0) return;

  if (M * N * K <= SMALL) {
    for (let t = 0; t < aStarts.length; t++) {
      gemmSmall(M, N, K, A, aStarts[t]!, rsA, csA, B, bStarts[t]!, rsB, csB, C, cStarts[t]!, rsC, csC);
    }
    return;
  }
  const ctx = new GemmScratch(M, N, K);
  for (let t = 0; t < aStarts.length; t++) {
    gemmBlocked(ctx, M, N, K, A, aStarts[t]!, rsA, csA, B, bStarts[t]!, rsB, csB);
    // Write the float64 accumulator into the (possibly float32, possibly strided) output.
    const acc = ctx.c;
    let cRow = cStarts[t]!;
    for (let i = 0, q = 0; i < M; i++, cRow += rsC) {
      for (let j = 0, p = cRow; j < N; j++, q++, p += csC) C[p] = acc[q]!;
    }
  }
}

function gemmSmall(
  M: number, N: number, K: number,
  A: FloatArray, aOff: number, rsA: number, csA: number,
  B: FloatArray, bOff: number, rsB: number, csB: number,
  C: FloatArray, cOff: number, rsC: number, csC: number,
): void {
  for (let i = 0; i < M; i++) {
    const aRow = aOff + i * rsA;
    const cRow = cOff + i * rsC;
    for (let j = 0; j < N; j++) {
      let s = 0;
      let pa = aRow;
      let pb = bOff + j * csB;
      for (let k = 0; k < K; k++, pa += csA, pb += rsB) s += A[pa]! * B[pb]!;
      C[cRow + j * csC] = s;
    }
  }
}

/** Per-call scratch: packed panels, the float64 C (M×N contiguous) and an edge tile. */
class GemmScratch {
  readonly ap: Float64Array;
  readonly bp: Float64Array;
  readonly c: Float64Array;
  readonly edge = new Float64Array(MR * NR);
  constructor(M: number, N: number, K: number) {
    const kc = Math.min(KC, K);
    this.ap = new Float64Array(roundUp(Math.min(MC, M), MR) * kc);
    this.bp = new Float64Array(roundUp(Math.min(NC, N), NR) * kc);
    this.c = new Float64Array(M * N);
  }
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

function gemmBlocked(
  s: GemmScratch, M: number, N: number, K: number,
  A: FloatArray, aOff: number, rsA: number, csA: number,
  B: FloatArray, bOff: number, rsB: number, csB: number,
): void {
  const c = s.c;
  c.fill(0);
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packB(s.bp, B, bOff + pc * rsB + jc * csB, rsB, csB, kc, nc);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packA(s.ap, A, aOff + ic * rsA + pc * csA, rsA, csA, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          const bi = jr * kc;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            const ci = (ic + ir) * N + jc + jr;
            if (mr === MR && nr === NR) {
              micro4x4(kc, s.ap, ir * kc, s.bp, bi, c, ci, N);
            } else {
              // Partial tile at the matrix edge: compute the padded 4×4 into a temporary.
              const e = s.edge;
              e.fill(0);
              micro4x4(kc, s.ap, ir * kc, s.bp, bi, e, 0, NR);
              for (let r = 0; r < mr; r++) for (let q = 0; q < nr; q++) c[ci + r * N + q] += e[r * NR + q]!;
            }
          }
        }
      }
    }
  }
}

/** Packs an mc×kc block of A into row panels: panel (ir/4), then k, then the 4 rows. Pads with 0. */
function packA(ap: Float64Array, A: FloatArray, off: number, rs: number, cs: number, mc: number, kc: number): void {
  let w = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    const base = off + ir * rs;
    if (rows === MR) {
      for (let k = 0, p = base; k < kc; k++, p += cs) {
        ap[w] = A[p]!;
        ap[w + 1] = A[p + rs]!;
        ap[w + 2] = A[p + 2 * rs]!;
        ap[w + 3] = A[p + 3 * rs]!;
        w += MR;
      }
    } else {
      for (let k = 0, p = base; k < kc; k++, p += cs) {
        for (let r = 0; r < MR; r++) ap[w + r] = r < rows ? A[p + r * rs]! : 0;
        w += MR;
      }
    }
  }
}

/** Packs a kc×nc block of B into column panels: panel (jr/4), then k, then the 4 columns. Pads with 0. */
function packB(bp: Float64Array, B: FloatArray, off: number, rs: number, cs: number, kc: number, nc: number): void {
  let w = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    const base = off + jr * cs;
    if (cols === NR) {
      for (let k = 0, p = base; k < kc; k++, p += rs) {
        bp[w] = B[p]!;
        bp[w + 1] = B[p + cs]!;
        bp[w + 2] = B[p + 2 * cs]!;
        bp[w + 3] = B[p + 3 * cs]!;
        w += NR;
      }
    } else {
      for (let k = 0, p = base; k < kc; k++, p += rs) {
        for (let q = 0; q < NR; q++) bp[w + q] = q < cols ? B[p + q * cs]! : 0;
        w += NR;
      }
    }
  }
}

/** C[ci..] (row stride ldc) += Ap panel · Bp panel over kc, with the 4×4 tile held in 16 locals. */
function micro4x4(kc: number, ap: Float64Array, ai: number, bp: Float64Array, bi: number, c: Float64Array, ci: number, ldc: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  const end = ai + kc * MR;
  for (; ai < end; ai += MR, bi += NR) {
    const b0 = bp[bi]!, b1 = bp[bi + 1]!, b2 = bp[bi + 2]!, b3 = bp[bi + 3]!;
    const a0 = ap[ai]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    const a1 = ap[ai + 1]!;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    const a2 = ap[ai + 2]!;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    const a3 = ap[ai + 3]!;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  c[ci] += c00; c[ci + 1] += c01; c[ci + 2] += c02; c[ci + 3] += c03;
  ci += ldc;
  c[ci] += c10; c[ci + 1] += c11; c[ci + 2] += c12; c[ci + 3] += c13;
  ci += ldc;
  c[ci] += c20; c[ci + 1] += c21; c[ci + 2] += c22; c[ci + 3] += c23;
  ci += ldc;
  c[ci] += c30; c[ci + 1] += c31; c[ci + 2] += c32; c[ci + 3] += c33;
}
