/**
 * Routes uniform and bernoulli `random` draws into contiguous float32 views in the heap to
 * the Wasm Philox kernel of ./random-kernels.ts; everything else (normal draws, whose
 * Box–Muller transform needs JavaScript's Math.log / Math.cos to stay bit-identical, other
 * dtypes, strided views, buffers outside the heap) stays with ../kernels/random.ts. Both
 * produce exactly `philoxFill`'s values.
 */
import { isContiguousView, splitSeed, type RandomKind, type TensorView } from '@torchlet/backend';
import { CpuBuffer } from '../buffer.js';
import { numel } from '../codegen/strided-loop.js';
import { checkRandomArgs } from '../kernels/random.js';
import { PHILOX } from './random-kernels.js';
import type { WasmRuntime } from './runtime.js';

/** Elements below which a draw stays on one thread. */
const PARALLEL_MIN = 1 << 16;
const TWO_24 = 16777216;
const TWO_32 = 4294967296;

/**
 * The bernoulli cut: the smallest integer k with k·2^-24 >= p, so that the draw
 * u = k·2^-24 < p exactly when k < t. p·2^24 is exact in float64 (a power-of-two scale of
 * p ∈ [0, 1]), so its ceiling is that k.
 */
export function bernoulliThreshold(p: number): number {
  return Math.min(TWO_24, Math.max(0, Math.ceil(p * TWO_24)));
}

/** Fills `out` with the Wasm kernel and returns true, or returns false for the TypeScript kernel. */
export function wasmRandom(rt: WasmRuntime, kind: RandomKind, out: TensorView, seed: number, offset: number, p?: number): boolean {
  checkRandomArgs(kind, out, p);
  const b = out.buffer;
  if (kind === 'normal' || out.dtype !== 'float32' || !(b instanceof CpuBuffer) || b.runtime !== rt || b.freed) return false;
  if (!isContiguousView(out.shape, out.strides)) return false;
  const n = numel(out.shape);
  const [seedLo, seedHi] = splitSeed(seed);
  const fields: Record<(typeof PHILOX)[number], number> = {
    out: b.ptr + out.offset * 4,
    n,
    seedLo,
    seedHi,
    offLo: offset >>> 0,
    offHi: Math.floor(offset / TWO_32) >>> 0,
    bernoulli: kind === 'bernoulli' ? 1 : 0,
    threshold: bernoulliThreshold(p ?? 0.5),
  };
  const parts = rt.parallelism > 1 && n >= PARALLEL_MIN ? rt.parallelism : 1;
  // block ranges start at multiples of 4, so each task's four-block groups stay whole
  rt.runBlock('philox', PHILOX.map((f) => fields[f]), Math.ceil(n / 4), parts, 4);
  return true;
}
