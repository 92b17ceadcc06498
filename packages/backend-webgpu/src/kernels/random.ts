/**
 * Philox4x32-10 draws in WGSL with the element → counter mapping of `philox.ts`, so
 * uniform and bernoulli draws are bit-identical to the CPU backend's and normal draws
 * agree to float32 rounding of Box–Muller (log and cos are evaluated with the
 * range-reduced polynomials of `wgsl/math.ts`, not the driver's built-ins). One
 * invocation per Philox block writes its 4 (uniform, bernoulli) or 2 (normal) elements.
 */
import { philoxBlocks, splitSeed, type RandomKind, type TensorView } from '@torchlet/backend';
import { gpuOf } from '../buffer.js';
import { isContiguousView } from '@torchlet/backend';
import { numel } from '../layout.js';
import type { GpuRuntime } from '../runtime.js';
import { runMap } from './map.js';

const PHILOX_WGSL = /* wgsl */ `
fn mulhi32(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu; let ah = a >> 16u; let bl = b & 0xffffu; let bh = b >> 16u;
  let ll = al * bl; let m1 = ah * bl; let m2 = al * bh;
  let carry = ((ll >> 16u) + (m1 & 0xffffu) + (m2 & 0xffffu)) >> 16u;
  return ah * bh + (m1 >> 16u) + (m2 >> 16u) + carry;
}
fn philox(block_lo: u32, block_hi: u32, key_lo: u32, key_hi: u32) -> vec4<u32> {
  var c0 = block_lo; var c1 = block_hi; var c2 = 0u; var c3 = 0u;
  var k0 = key_lo; var k1 = key_hi;
  for (var r = 0; r < 10; r = r + 1) {
    let hi0 = mulhi32(0xd2511f53u, c0); let lo0 = 0xd2511f53u * c0;
    let hi1 = mulhi32(0xcd9e8d57u, c2); let lo1 = 0xcd9e8d57u * c2;
    c0 = hi1 ^ c1 ^ k0; c1 = lo1; c2 = hi0 ^ c3 ^ k1; c3 = lo0;
    k0 = k0 + 0x9e3779b9u; k1 = k1 + 0xbb67ae85u;
  }
  return vec4<u32>(c0, c1, c2, c3);
}
fn normal_from_bits(x0: u32, x1: u32) -> f32 {
  let u1 = f32((x0 >> 8u) + 1u) * 5.9604644775390625e-8;
  let u2 = f32(x1 >> 8u) * 5.9604644775390625e-8;
  return sqrt(-2.0 * log_pos(u1)) * cos_2pi(u2);
}
`;

export function random(rt: GpuRuntime, kind: RandomKind, out: TensorView, seed: number, offset: number, p = 0.5): void {
  if (!isContiguousView(out.shape, out.strides)) throw new Error('random: the output must be contiguous');
  const n = numel(out.shape);
  if (n === 0) return;
  const dtype = out.dtype;
  if (kind !== 'bernoulli' && dtype !== 'float32') throw new TypeError(`random ${kind}: output must be float32, got ${dtype}`);
  const store = dtype === 'float32' ? (v: string) => `f32(${v})` : dtype === 'int32' ? (v: string) => `i32(${v})` : (v: string) => `u32(${v})`;
  const [seedLo, seedHi] = splitSeed(seed);
  const offLo = offset >>> 0;
  const offHi = Math.floor(offset / 4294967296) >>> 0;
  const blocks = philoxBlocks(kind, n);
  const per = kind === 'normal' ? 2 : 4;
  const threshold = Math.min(16777216, Math.max(0, Math.ceil(p * 16777216)));
  let write: string;
  if (kind === 'normal') {
    write = `  buf0[p0] = normal_from_bits(r.x, r.y);
  if (e + 1 < n) { buf0[p0 + 1] = normal_from_bits(r.z, r.w); }`;
  } else {
    const value = kind === 'uniform' ? (l: string) => `f32(${l} >> 8u) * 5.9604644775390625e-8` : (l: string) => store(`select(0u, 1u, (${l} >> 8u) < bitcast<u32>(S(5u)))`);
    write = ['x', 'y', 'z', 'w'].map((l, i) => `  if (e + ${i} < n) { buf0[p0 + ${i}] = ${value(`r.${l}`)}; }`).join('\n');
  }
  runMap(rt, {
    name: `random.${kind}.${dtype}`,
    shape: [blocks],
    operands: [{ strides: [per], offset: out.offset, buffer: gpuOf(out), dtype, access: 'read_write' }],
    scalars: [n, seedLo | 0, seedHi | 0, offLo | 0, offHi | 0, threshold | 0],
    helpers: PHILOX_WGSL,
    body: `  let n = S(0u);
  let e = i32(gid) * ${per};
  let lo = bitcast<u32>(S(3u)) + gid;
  let hi = bitcast<u32>(S(4u)) + select(0u, 1u, lo < bitcast<u32>(S(3u)));
  let r = philox(lo, hi, bitcast<u32>(S(1u)), bitcast<u32>(S(2u)));
${write}`,
  });
}
