/** Test-only helpers for the kernel tests (not shipped): strided views over random buffers and naive element access. */
import { contiguousStrides, type DType, type TensorView } from '@torchlet/backend';
import { CpuBackend } from '../src/cpu-backend.js';
import type { CpuBuffer } from '../src/buffer.js';

export const be = new CpuBackend();

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A contiguous view holding `values` (row-major). */
export function tensor(dtype: DType, shape: readonly number[], values: ArrayLike<number>): TensorView {
  const buffer = be.alloc(dtype, values.length);
  for (let i = 0; i < values.length; i++) buffer.data[i] = values[i]!;
  return { buffer, dtype, shape, strides: contiguousStrides(shape), offset: 0 };
}

/** A fresh contiguous output view. */
export function empty(dtype: DType, shape: readonly number[]): TensorView {
  const size = shape.reduce((a, b) => a * b, 1);
  return { buffer: be.alloc(dtype, size), dtype, shape, strides: contiguousStrides(shape), offset: 0 };
}

/** A view with arbitrary (non-negative) strides and offset over a buffer of random values. */
export function stridedRandom(
  dtype: DType,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  gen: () => number,
  make: (u: number) => number = (u) => u * 4 - 2,
): TensorView {
  let size = offset + 1;
  for (let d = 0; d < shape.length; d++) size += Math.max(0, shape[d]! - 1) * strides[d]!;
  const buffer = be.alloc(dtype, size);
  for (let i = 0; i < size; i++) buffer.data[i] = make(gen());
  return { buffer, dtype, shape, strides, offset };
}

/** Same view with permuted axes (a free transpose). */
export function permute(v: TensorView, perm: readonly number[]): TensorView {
  return { ...v, shape: perm.map((p) => v.shape[p]!), strides: perm.map((p) => v.strides[p]!) };
}

/** Broadcast `v` (same rank, size-1 dims) to `shape` with stride 0. */
export function expand(v: TensorView, shape: readonly number[]): TensorView {
  return { ...v, shape, strides: shape.map((n, d) => (v.shape[d] === n ? v.strides[d]! : 0)) };
}

export function at(v: TensorView, idx: readonly number[]): number {
  let p = v.offset;
  for (let d = 0; d < idx.length; d++) p += idx[d]! * v.strides[d]!;
  return (v.buffer as CpuBuffer).data[p]!;
}

/** Every multi-index of `shape`, row-major. */
export function allIndices(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  const n = shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) {
    const idx = new Array<number>(shape.length);
    let r = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = r % shape[d]!;
      r = Math.floor(r / shape[d]!);
    }
    out.push(idx);
  }
  return out;
}

/** The view's elements in row-major logical order. */
export function values(v: TensorView): number[] {
  return allIndices(v.shape).map((idx) => at(v, idx));
}

/** Rounds to float32 as a Float32Array store would. */
export const f32 = Math.fround;
