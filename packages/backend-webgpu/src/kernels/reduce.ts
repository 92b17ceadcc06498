/**
 * reduce (sum/prod/max/min over any set of axes), argReduce and scan.
 *
 * reduce: the kept axes (coalesced together for `x` and `out`) index the outputs; the
 * reduced axes (coalesced for `x`) are walked without transposing anything. Two shapes of
 * kernel: one invocation per output looping over the reduced elements (short reductions),
 * or one 64-invocation workgroup per output with a shared-memory tree (long ones, at
 * least `REDUCE_CONFIG.workgroupThreshold` elements). int32 sums accumulate in 64 bits and
 * int32 products track overflow, so a result that does not fit raises the overflow flag
 * (a RangeError at the next readback) instead of wrapping silently.
 *
 * argReduce and scan: one invocation per line along `axis`.
 */
import type { ArgReduceOp, DType, ReduceOp, ScanOp, TensorView } from '@torchlet/backend';
import { gpuOf } from '../buffer.js';
import { coalesce, numel } from '../layout.js';
import { flagsWGSL, FLAG_INT_PROD_OVERFLOW, FLAG_INT_SUM_OVERFLOW, type GpuRuntime } from '../runtime.js';
import { entryWGSL, metaWGSL, storageWGSL, unravelWGSL, WG } from '../wgsl/codegen.js';
import { MATH_WGSL } from '../wgsl/math.js';

/** Tunables (tests lower the threshold to exercise the workgroup path on small inputs). */
export const REDUCE_CONFIG = { workgroupThreshold: 256 };

interface Accumulator {
  type: string;
  init: string;
  /** WGSL functions `lift(v: T) -> ACC`, `comb(a: ACC, b: ACC) -> ACC`, `fin(a: ACC) -> T`. */
  fns: string;
  flags: boolean;
}

function accumulator(op: ReduceOp, dtype: DType): Accumulator {
  if (dtype === 'float32') {
    const simple = (init: string, comb: string): Accumulator => ({
      type: 'f32',
      init,
      fns: `fn lift(v: f32) -> f32 { return v; }\nfn comb(a: f32, b: f32) -> f32 { ${comb} }\nfn fin(a: f32) -> f32 { return a; }`,
      flags: false,
    });
    switch (op) {
      case 'sum':
        return simple('0.0', 'return a + b;');
      case 'prod':
        return simple('1.0', 'return a * b;');
      case 'max':
        return simple('-f_inf()', 'if (is_nan(a)) { return a; } if (is_nan(b)) { return b; } return max(a, b);');
      case 'min':
        return simple('f_inf()', 'if (is_nan(a)) { return a; } if (is_nan(b)) { return b; } return min(a, b);');
    }
  }
  if (dtype === 'int32') {
    switch (op) {
      case 'sum':
        return {
          type: 'vec2<u32>',
          init: 'vec2<u32>(0u, 0u)',
          fns: /* wgsl */ `
fn lift(v: i32) -> vec2<u32> { return vec2<u32>(bitcast<u32>(v), select(0u, 0xffffffffu, v < 0)); }
fn comb(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { let lo = a.x + b.x; return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x)); }
fn fin(a: vec2<u32>) -> i32 {
  let fits = (a.y == 0u && a.x < 0x80000000u) || (a.y == 0xffffffffu && a.x >= 0x80000000u);
  if (!fits) { raise_flag(${FLAG_INT_SUM_OVERFLOW}u); }
  return bitcast<i32>(a.x);
}`,
          flags: true,
        };
      case 'prod':
        return {
          type: 'vec3<i32>',
          init: 'vec3<i32>(1, 0, 0)',
          fns: /* wgsl */ `
fn uabs(v: i32) -> u32 { return select(bitcast<u32>(v), 0u - bitcast<u32>(v), v < 0); }
// Whether a · b overflows int32 (the full 64-bit product from 16-bit halves).
fn mul_overflows(a: i32, b: i32) -> bool {
  if (a == 0 || b == 0) { return false; }
  let x = uabs(a); let y = uabs(b);
  let xl = x & 0xffffu; let xh = x >> 16u; let yl = y & 0xffffu; let yh = y >> 16u;
  let ll = xl * yl; let m1 = xh * yl; let m2 = xl * yh; let hh = xh * yh;
  let mid = (ll >> 16u) + (m1 & 0xffffu) + (m2 & 0xffffu);
  let hi = hh + (m1 >> 16u) + (m2 >> 16u) + (mid >> 16u);
  let lo = (mid << 16u) | (ll & 0xffffu);
  let neg = (a < 0) != (b < 0);
  return !(hi == 0u && (lo < 0x80000000u || (neg && lo == 0x80000000u)));
}
fn lift(v: i32) -> vec3<i32> { return vec3<i32>(v, 0, select(0, 1, v == 0)); }
fn comb(a: vec3<i32>, b: vec3<i32>) -> vec3<i32> {
  return vec3<i32>(a.x * b.x, a.y | b.y | select(0, 1, mul_overflows(a.x, b.x)), a.z | b.z);
}
fn fin(a: vec3<i32>) -> i32 {
  if (a.z != 0) { return 0; }
  if (a.y != 0) { raise_flag(${FLAG_INT_PROD_OVERFLOW}u); }
  return a.x;
}`,
          flags: true,
        };
      case 'max':
      case 'min': {
        const f = op;
        return {
          type: 'i32',
          init: op === 'max' ? 'i32(-2147483647 - 1)' : '2147483647',
          fns: `fn lift(v: i32) -> i32 { return v; }\nfn comb(a: i32, b: i32) -> i32 { return ${f}(a, b); }\nfn fin(a: i32) -> i32 { return a; }`,
          flags: false,
        };
      }
    }
  }
  if (dtype === 'bool' && (op === 'max' || op === 'min')) {
    return {
      type: 'u32',
      init: op === 'max' ? '0u' : '1u',
      fns: `fn lift(v: u32) -> u32 { return v; }\nfn comb(a: u32, b: u32) -> u32 { return ${op}(a, b); }\nfn fin(a: u32) -> u32 { return a; }`,
      flags: false,
    };
  }
  throw new TypeError(`reduce ${op}: not supported for ${dtype} on webgpu`);
}

function checkKept(op: string, x: TensorView, axes: readonly number[], out: TensorView): void {
  const rank = x.shape.length;
  for (const a of axes) if (!Number.isInteger(a) || a < 0 || a >= rank) throw new RangeError(`${op}: axis ${a} is out of range for rank ${rank}`);
  const expected = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  if (out.shape.length !== rank || out.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`${op}: output shape [${out.shape.join(', ')}] should be [${expected.join(', ')}]`);
  }
}

/** Meta words laid out in named segments. */
class MetaLayout {
  readonly words: number[] = [];
  push(values: readonly number[]): number {
    const at = this.words.length;
    this.words.push(...values);
    return at;
  }
}

export function reduce(rt: GpuRuntime, op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
  checkKept(`reduce ${op}`, x, axes, out);
  if (out.dtype !== x.dtype) throw new TypeError(`reduce ${op}: output dtype ${out.dtype} differs from input dtype ${x.dtype}`);
  const acc = accumulator(op, x.dtype);
  const keptDims = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const kept = coalesce(keptDims.map((d) => x.shape[d]!), [keptDims.map((d) => x.strides[d]!), keptDims.map((d) => out.strides[d]!)]);
  const red = coalesce(axes.map((d) => x.shape[d]!), [axes.map((d) => x.strides[d]!)]);
  const outputs = numel(kept.shape);
  const count = numel(red.shape);
  if (outputs === 0) return;
  const kr = kept.shape.length;
  const rr = red.shape.length;
  const useWorkgroup = count >= REDUCE_CONFIG.workgroupThreshold;

  const m = new MetaLayout();
  m.push([outputs, count]);
  const keptShapeAt = m.push(kept.shape);
  const redShapeAt = m.push(red.shape);
  const xAt = m.push([x.offset, ...kept.strides[0]!]);
  const redAt = m.push([0, ...red.strides[0]!]);
  const outAt = m.push([out.offset, ...kept.strides[1]!]);
  const metaWords = m.words.length;
  const key = `reduce.${op}.${x.dtype}.${useWorkgroup ? 'wg' : 'th'}|k${kr}|r${rr}`;

  const kernel = rt.kernel(key, () => {
    const header = [
      MATH_WGSL,
      metaWGSL(metaWords),
      storageWGSL(1, 'out', out.dtype, 'read_write'),
      storageWGSL(2, 'x', x.dtype, 'read'),
      acc.flags ? flagsWGSL(3) : '',
      acc.fns,
    ];
    let body: string;
    if (!useWorkgroup) {
      // Nested loops over the reduced dims: no divisions in the inner loop.
      let loops = '';
      let close = '';
      let q = 'p0';
      for (let d = 0; d < rr; d++) {
        loops += `  for (var j${d} = 0; j${d} < M(${redShapeAt + d}u); j${d} = j${d} + 1) {\n  let q${d} = ${q} + j${d} * M(${redAt + 1 + d}u);\n`;
        close += '  }\n';
        q = `q${d}`;
      }
      body = [
        entryWGSL(WG),
        '  if (gid >= u32(M(0u))) { return; }',
        unravelWGSL('i32(gid)', kr, keptShapeAt, [xAt, outAt]),
        `  var acc: ${acc.type} = ${acc.init};`,
        `${loops}  acc = comb(acc, lift(x[${q}]));\n${close}`,
        '  out[p1] = fin(acc);',
        '}',
      ].join('\n');
    } else {
      const redUnravel = unravelWGSL('r', rr, redShapeAt, [redAt], 'q');
      body = [
        `var<workgroup> sh: array<${acc.type}, ${WG}>;`,
        entryWGSL(WG),
        '  if (wid >= u32(M(0u))) { return; }',
        unravelWGSL('i32(wid)', kr, keptShapeAt, [xAt, outAt]),
        `  var acc: ${acc.type} = ${acc.init};`,
        '  let count = M(1u);',
        `  for (var r = i32(lid); r < count; r = r + ${WG}) {`,
        redUnravel,
        '    acc = comb(acc, lift(x[p0 + q0]));',
        '  }',
        '  sh[lid] = acc;',
        '  workgroupBarrier();',
        `  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {`,
        '    if (lid < s) { sh[lid] = comb(sh[lid], sh[lid + s]); }',
        '    workgroupBarrier();',
        '  }',
        '  if (lid == 0u) { out[p1] = fin(sh[0]); }',
        '}',
      ].join('\n');
    }
    return { code: [...header, body].join('\n'), access: ['read_write', 'read'], metaWords, flags: acc.flags };
  });
  rt.dispatch(kernel, [gpuOf(out), gpuOf(x)], m.words, useWorkgroup ? outputs : Math.ceil(outputs / WG));
}

// ---- lines along one axis: argReduce, scan ------------------------------------------------

interface LineMeta {
  words: number[];
  lines: number;
  length: number;
  rank: number;
  shapeAt: number;
  xAt: number;
  outAt: number;
  xAxis: number;
  outAxis: number;
}

/** Meta for kernels with one invocation per line along `axis` of `x`, writing `out`. */
export function lineMeta(x: TensorView, axis: number, out: TensorView): LineMeta {
  const dims = x.shape.map((_, i) => i).filter((i) => i !== axis);
  const kept = coalesce(dims.map((d) => x.shape[d]!), [dims.map((d) => x.strides[d]!), dims.map((d) => out.strides[d]!)]);
  const m = new MetaLayout();
  const lines = numel(kept.shape);
  const length = x.shape[axis]!;
  m.push([lines, length]);
  const shapeAt = m.push(kept.shape);
  const xAt = m.push([x.offset, ...kept.strides[0]!]);
  const xAxis = m.push([x.strides[axis]!]);
  const outAt = m.push([out.offset, ...kept.strides[1]!]);
  const outAxis = m.push([out.strides[axis]!]);
  return { words: m.words, lines, length, rank: kept.shape.length, shapeAt, xAt, outAt, xAxis, outAxis };
}

function checkAxis(op: string, x: TensorView, axis: number): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= x.shape.length) throw new RangeError(`${op}: axis ${axis} is out of range for rank ${x.shape.length}`);
}

export function lineKernel(rt: GpuRuntime, key: string, lm: LineMeta, x: TensorView, out: TensorView, loop: string): void {
  if (lm.lines === 0 || lm.length === 0) return;
  const kernel = rt.kernel(`${key}|r${lm.rank}`, () => ({
    code: [
      MATH_WGSL,
      metaWGSL(lm.words.length),
      storageWGSL(1, 'out', out.dtype, 'read_write'),
      storageWGSL(2, 'x', x.dtype, 'read'),
      entryWGSL(WG),
      '  if (gid >= u32(M(0u))) { return; }',
      unravelWGSL('i32(gid)', lm.rank, lm.shapeAt, [lm.xAt, lm.outAt]),
      '  let n = M(1u);',
      `  let xs = M(${lm.xAxis}u);`,
      `  let os = M(${lm.outAxis}u);`,
      loop,
      '}',
    ].join('\n'),
    access: ['read_write', 'read'],
    metaWords: lm.words.length,
  }));
  rt.dispatch(kernel, [gpuOf(out), gpuOf(x)], lm.words, Math.ceil(lm.lines / WG));
}

export function argReduce(rt: GpuRuntime, op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
  checkAxis(op, x, axis);
  checkKept(op, x, [axis], out);
  if (out.dtype !== 'int32') throw new TypeError(`${op}: output must be int32, got ${out.dtype}`);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new TypeError(`${op}: not supported for ${x.dtype} on webgpu`);
  const cmp = op === 'argmax' ? '>' : '<';
  const float = x.dtype === 'float32';
  // NaN wins (the first NaN), as in PyTorch.
  const loop = float
    ? `  var best = x[p0]; var bi = 0; var bnan = is_nan(best);
  for (var j = 1; j < n; j = j + 1) {
    let v = x[p0 + j * xs];
    if (!bnan && (is_nan(v) || v ${cmp} best)) { best = v; bi = j; bnan = is_nan(v); }
  }
  out[p1] = bi;`
    : `  var best = x[p0]; var bi = 0;
  for (var j = 1; j < n; j = j + 1) {
    let v = x[p0 + j * xs];
    if (v ${cmp} best) { best = v; bi = j; }
  }
  out[p1] = bi;`;
  lineKernel(rt, `argReduce.${op}.${x.dtype}`, lineMeta(x, axis, out), x, out, loop);
}

export function scan(rt: GpuRuntime, op: ScanOp, x: TensorView, axis: number, out: TensorView): void {
  checkAxis(op, x, axis);
  if (out.dtype !== x.dtype || out.shape.length !== x.shape.length || out.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`${op}: output must have the input's shape and dtype`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new TypeError(`${op}: not supported for ${x.dtype} on webgpu`);
  const float = x.dtype === 'float32';
  let comb: string;
  switch (op) {
    case 'cumsum':
      comb = 'acc + v';
      break;
    case 'cumprod':
      comb = 'acc * v';
      break;
    case 'cummax':
    case 'cummin': {
      const f = op === 'cummax' ? 'max' : 'min';
      comb = float ? `select(select(${f}(acc, v), v, is_nan(v)), acc, is_nan(acc))` : `${f}(acc, v)`;
      break;
    }
  }
  const loop = `  var acc = x[p0];
  out[p1] = acc;
  for (var j = 1; j < n; j = j + 1) {
    let v = x[p0 + j * xs];
    acc = ${comb};
    out[p1 + j * os] = acc;
  }`;
  lineKernel(rt, `scan.${op}.${x.dtype}`, lineMeta(x, axis, out), x, out, loop);
}
