/**
 * Batched matmul on strided operands: a 16×16 output tile per workgroup, K walked in
 * 16-wide slices staged through workgroup memory. Operand strides (transposes, row
 * padding, stride-0 batch broadcast) come from the meta uniform, so no operand is ever
 * copied. Correctness first: a register-blocked variant for real GPUs is future work
 * (SwiftShader, where CI runs, is barrier-bound and not representative).
 */
import type { TensorView } from '@torchlet/backend';
import { gpuOf } from '../buffer.js';
import { coalesce, numel } from '../layout.js';
import type { GpuRuntime } from '../runtime.js';
import { metaWGSL, storageWGSL, unravelWGSL } from '../wgsl/codegen.js';

const TILE = 16;

export function matmul(rt: GpuRuntime, a: TensorView, b: TensorView, out: TensorView): void {
  const rank = out.shape.length;
  if (rank < 2 || a.shape.length !== rank || b.shape.length !== rank) {
    throw new Error(`matmul: operands must have the output's rank (≥ 2), got [${a.shape.join(', ')}], [${b.shape.join(', ')}] → [${out.shape.join(', ')}]`);
  }
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || out.dtype !== 'float32') {
    throw new TypeError(`matmul: webgpu supports float32 only, got ${a.dtype} @ ${b.dtype} → ${out.dtype}`);
  }
  const m = a.shape[rank - 2]!;
  const k = a.shape[rank - 1]!;
  const n = b.shape[rank - 1]!;
  const batchShape = out.shape.slice(0, rank - 2);
  if (b.shape[rank - 2] !== k || out.shape[rank - 2] !== m || out.shape[rank - 1] !== n || batchShape.some((d, i) => a.shape[i] !== d || b.shape[i] !== d)) {
    throw new Error(`matmul: mat1 and mat2 shapes cannot be multiplied ([${a.shape.join(', ')}] and [${b.shape.join(', ')}] → [${out.shape.join(', ')}])`);
  }
  const batch = coalesce(batchShape, [a.strides.slice(0, rank - 2), b.strides.slice(0, rank - 2), out.strides.slice(0, rank - 2)]);
  const nb = numel(batchShape);
  if (nb === 0 || m === 0 || n === 0) return;
  const br = batch.shape.length;
  const tilesM = Math.ceil(m / TILE);
  const tilesN = Math.ceil(n / TILE);

  const words: number[] = [nb * tilesM * tilesN, m, n, k, tilesM, tilesN];
  const shapeAt = words.length;
  words.push(...batch.shape);
  const aAt = words.length;
  words.push(a.offset, ...batch.strides[0]!);
  const bAt = words.length;
  words.push(b.offset, ...batch.strides[1]!);
  const oAt = words.length;
  words.push(out.offset, ...batch.strides[2]!);
  const sAt = words.length;
  words.push(a.strides[rank - 2]!, a.strides[rank - 1]!, b.strides[rank - 2]!, b.strides[rank - 1]!, out.strides[rank - 2]!, out.strides[rank - 1]!);

  const kernel = rt.kernel(`matmul.f32.tile${TILE}|b${br}`, () => ({
    code: [
      metaWGSL(words.length),
      storageWGSL(1, 'out', 'float32', 'read_write'),
      storageWGSL(2, 'A', 'float32', 'read'),
      storageWGSL(3, 'B', 'float32', 'read'),
      `var<workgroup> As: array<array<f32, ${TILE}>, ${TILE}>;`,
      `var<workgroup> Bs: array<array<f32, ${TILE}>, ${TILE}>;`,
      `@compute @workgroup_size(${TILE}, ${TILE})`,
      'fn main(@builtin(workgroup_id) wg3: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {',
      '  let wid = wg3.x + nwg.x * (wg3.y + nwg.y * wg3.z);',
      '  if (wid >= u32(M(0u))) { return; }',
      '  let M_ = M(1u); let N_ = M(2u); let K_ = M(3u);',
      '  let tn = i32(wid) % M(5u);',
      '  let t = i32(wid) / M(5u);',
      '  let tm = t % M(4u);',
      '  let bi = t / M(4u);',
      unravelWGSL('bi', br, shapeAt, [aAt, bAt, oAt]),
      `  let ars = M(${sAt}u); let acs = M(${sAt + 1}u); let brs = M(${sAt + 2}u); let bcs = M(${sAt + 3}u); let ors = M(${sAt + 4}u); let ocs = M(${sAt + 5}u);`,
      '  let lx = i32(l.x); let ly = i32(l.y);',
      `  let row = tm * ${TILE} + ly;`,
      `  let col = tn * ${TILE} + lx;`,
      '  var acc = 0.0;',
      `  for (var k0 = 0; k0 < K_; k0 = k0 + ${TILE}) {`,
      '    let ak = k0 + lx;',
      '    var av = 0.0;',
      '    if (row < M_ && ak < K_) { av = A[p0 + row * ars + ak * acs]; }',
      '    As[ly][lx] = av;',
      '    let bk = k0 + ly;',
      '    var bv = 0.0;',
      '    if (bk < K_ && col < N_) { bv = B[p1 + bk * brs + col * bcs]; }',
      '    Bs[ly][lx] = bv;',
      '    workgroupBarrier();',
      `    for (var kk = 0; kk < ${TILE}; kk = kk + 1) { acc = acc + As[ly][kk] * Bs[kk][lx]; }`,
      '    workgroupBarrier();',
      '  }',
      '  if (row < M_ && col < N_) { out[p2 + row * ors + col * ocs] = acc; }',
      '}',
    ].join('\n'),
    access: ['read_write', 'read', 'read'],
    metaWords: words.length,
  }));
  rt.dispatch(kernel, [gpuOf(out), gpuOf(a), gpuOf(b)], words, nb * tilesM * tilesN);
}
