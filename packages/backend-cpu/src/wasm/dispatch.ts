/**
 * Routes primitives to the Wasm SIMD kernels when they apply: float32 operands that live in
 * the Wasm heap, with a layout the kernels cover (contiguous rows, broadcast rows or
 * scalars, reductions over contiguous rows or columns, any matmul strides). Each function
 * returns false when it does not apply, and the backend then runs the TypeScript kernel.
 * Large jobs are cut into tasks that the thread pool shares out.
 */
import type { BinaryOp, ReduceOp, TensorView, UnaryOp } from '@torchlet/backend';
import { CpuBuffer } from '../buffer.js';
import { coalesce } from '../codegen/strided-loop.js';
import {
  BINARY_KERNELS,
  matmulScratchBytes,
  packedBFloats,
  UNARY_KERNELS,
  type BinaryKernel,
  type BinaryMode,
  type UnaryKernel,
} from './kernel-module.js';
import { alignUp } from './heap.js';
import type { WasmRuntime } from './runtime.js';

const UNARY_SET: ReadonlySet<string> = new Set(UNARY_KERNELS);
const BINARY_SET: ReadonlySet<string> = new Set(BINARY_KERNELS);

/** Elements below which an elementwise job stays on one thread (transcendental ops split sooner). */
const PARALLEL_MIN = 1 << 16;
const PARALLEL_MIN_HEAVY = 1 << 13;
const HEAVY: ReadonlySet<string> = new Set(['exp', 'log', 'tanh', 'sigmoid', 'silu']);
/** Multiply-adds below which a matmul stays on one thread. */
const MATMUL_PARALLEL_MIN = 1 << 18;

/** Byte address of the view's first element, or -1 if it is not a live float32 view in this heap. */
function addr(rt: WasmRuntime, v: TensorView): number {
  const b = v.buffer;
  if (v.dtype !== 'float32' || !(b instanceof CpuBuffer) || b.runtime !== rt || b.freed) return -1;
  return b.ptr + v.offset * 4;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/**
 * A 2-D elementwise task list over a coalesced space whose innermost dim is contiguous
 * (or broadcast) for every operand: rows of the second-innermost dim, and a JS loop over
 * any outer dims. `bases` are byte addresses, strides are in elements.
 */
function rowTasks(shape: number[], strides: number[][], bases: number[], pieces: number): number[][] {
  const r = shape.length;
  if (r === 0) return [[...bases, 1, 1, ...bases.map(() => 0)]];
  const cols = shape[r - 1]!;
  const rows = r >= 2 ? shape[r - 2]! : 1;
  const rowStrides = strides.map((s) => (r >= 2 ? s[r - 2]! * 4 : 0));
  const outer = shape.slice(0, Math.max(0, r - 2));
  const tasks: number[][] = [];
  const nOuter = numel(outer);
  const idx = new Array<number>(outer.length).fill(0);
  // Cut each 2-D block into about `pieces / nOuter` parts, by rows or by column ranges.
  const per = Math.max(1, Math.ceil(pieces / nOuter));
  for (let o = 0; o < nOuter; o++) {
    const start = bases.map((b, k) => {
      let p = b;
      for (let d = 0; d < outer.length; d++) p += idx[d]! * strides[k]![d]! * 4;
      return p;
    });
    if (per <= 1 || (rows === 1 && cols < 64)) {
      tasks.push([...start, rows, cols, ...rowStrides]);
    } else if (rows >= per) {
      const chunk = Math.ceil(rows / per);
      for (let r0 = 0; r0 < rows; r0 += chunk) {
        tasks.push([...start.map((p, k) => p + r0 * rowStrides[k]!), Math.min(chunk, rows - r0), cols, ...rowStrides]);
      }
    } else {
      const colPieces = Math.ceil(per / rows);
      const chunk = Math.max(16, Math.ceil(cols / colPieces / 16) * 16);
      const innerStep = strides.map((s) => s[r - 1]! * 4);
      for (let r0 = 0; r0 < rows; r0++) {
        for (let c0 = 0; c0 < cols; c0 += chunk) {
          tasks.push([...start.map((p, k) => p + r0 * rowStrides[k]! + c0 * innerStep[k]!), 1, Math.min(chunk, cols - c0), ...rowStrides]);
        }
      }
    }
    for (let d = outer.length - 1; d >= 0; d--) {
      if (++idx[d]! < outer[d]!) break;
      idx[d] = 0;
    }
  }
  return tasks;
}

function pieces(rt: WasmRuntime, n: number, heavy: boolean): number {
  const p = rt.parallelism;
  if (p <= 1 || n < (heavy ? PARALLEL_MIN_HEAVY : PARALLEL_MIN)) return 1;
  return p;
}

export function unary(rt: WasmRuntime, op: UnaryOp, x: TensorView, out: TensorView): boolean {
  if (!UNARY_SET.has(op) || !sameShape(x.shape, out.shape)) return false;
  const px = addr(rt, x);
  const po = addr(rt, out);
  if (px < 0 || po < 0) return false;
  const space = coalesce(out.shape, [out.strides, x.strides]);
  if (space === null) return true;
  const r = space.shape.length;
  if (r > 0 && (space.strides[0]![r - 1] !== 1 || space.strides[1]![r - 1] !== 1)) return false;
  const n = numel(out.shape);
  const p = pieces(rt, n, HEAVY.has(op));
  const tasks = rowTasks(space.shape, space.strides, [po, px], p);
  // task: out, x, rows, cols, outRs, xRs → kernel wants x, out, rows, cols, xRs, outRs
  rt.run(
    `un_${op as UnaryKernel}`,
    tasks.map(([o, i, rows, cols, ors, xrs]) => [i!, o!, rows!, cols!, xrs!, ors!]),
    p > 1,
  );
  return true;
}

export function binary(rt: WasmRuntime, op: BinaryOp, a: TensorView, b: TensorView, out: TensorView): boolean {
  if (!BINARY_SET.has(op) || !sameShape(a.shape, out.shape) || !sameShape(b.shape, out.shape)) return false;
  const pa = addr(rt, a);
  const pb = addr(rt, b);
  const po = addr(rt, out);
  if (pa < 0 || pb < 0 || po < 0) return false;
  const space = coalesce(out.shape, [out.strides, a.strides, b.strides]);
  if (space === null) return true;
  const r = space.shape.length;
  let mode: BinaryMode = 'vv';
  if (r > 0) {
    const so = space.strides[0]![r - 1];
    const sa = space.strides[1]![r - 1];
    const sb = space.strides[2]![r - 1];
    if (so !== 1 || (sa !== 0 && sa !== 1) || (sb !== 0 && sb !== 1) || (sa === 0 && sb === 0)) return false;
    mode = sa === 0 ? 'sv' : sb === 0 ? 'vs' : 'vv';
  }
  const p = pieces(rt, numel(out.shape), false);
  const tasks = rowTasks(space.shape, space.strides, [po, pa, pb], p);
  // task: out, a, b, rows, cols, ors, ars, brs → kernel wants a, b, out, rows, cols, ars, brs, ors
  rt.run(
    `bin_${op as BinaryKernel}_${mode}`,
    tasks.map(([o, x, y, rows, cols, ors, ars, brs]) => [x!, y!, o!, rows!, cols!, ars!, brs!, ors!]),
    p > 1,
  );
  return true;
}

/**
 * Sum/max/min over `axes` when, after merging, the kept and reduced dims form
 * [kept] reduced (rows), reduced kept (columns) or kept reduced kept (columns per outer index),
 * with the innermost dim contiguous.
 */
export function reduce(rt: WasmRuntime, op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): boolean {
  if (op === 'prod') return false;
  const px = addr(rt, x);
  const po = addr(rt, out);
  if (px < 0 || po < 0 || numel(x.shape) === 0) return false;
  const rank = x.shape.length;
  const reduced = new Array<boolean>(rank).fill(false);
  for (const a of axes) {
    const ax = a < 0 ? a + rank : a;
    if (!(ax >= 0 && ax < rank)) return false;
    reduced[ax] = true;
  }
  if (out.shape.length !== rank || out.shape.some((n, d) => n !== (reduced[d] ? 1 : x.shape[d]))) return false;
  // out must be contiguous over the kept dims
  let expect = 1;
  for (let d = rank - 1; d >= 0; d--) {
    if (out.shape[d] === 1) continue;
    if (out.strides[d] !== expect) return false;
    expect *= out.shape[d]!;
  }
  // merge x's dims into runs of equal kind
  const dims: { n: number; s: number; red: boolean }[] = [];
  for (let d = 0; d < rank; d++) {
    const n = x.shape[d]!;
    if (n === 1) continue;
    const last = dims[dims.length - 1];
    if (last !== undefined && last.red === reduced[d] && last.s === x.strides[d]! * n) {
      last.n *= n;
      last.s = x.strides[d]!;
    } else {
      dims.push({ n, s: x.strides[d]!, red: reduced[d]! });
    }
  }
  const kinds = dims.map((d) => (d.red ? 'R' : 'K')).join('');
  const p = rt.parallelism > 1 && numel(x.shape) >= PARALLEL_MIN ? rt.parallelism : 1;
  if (kinds === 'R' || kinds === 'KR' || kinds === '') {
    const inner = dims[dims.length - 1];
    const cols = inner?.n ?? 1;
    if (inner !== undefined && inner.s !== 1) return false;
    const rows = kinds === 'KR' ? dims[0]!.n : 1;
    const xrs = kinds === 'KR' ? dims[0]!.s * 4 : 0;
    const chunk = Math.ceil(rows / p);
    const tasks: number[][] = [];
    for (let r0 = 0; r0 < rows; r0 += chunk) tasks.push([px + r0 * xrs, po + r0 * 4, Math.min(chunk, rows - r0), cols, xrs]);
    rt.run(`r${op}`, tasks, p > 1);
    return true;
  }
  if (kinds === 'RK' || kinds === 'KRK') {
    const [outer, red, inner] = kinds === 'RK' ? [undefined, dims[0]!, dims[1]!] : [dims[0]!, dims[1]!, dims[2]!];
    if (inner.s !== 1) return false;
    const tasks: number[][] = [];
    const nOuter = outer?.n ?? 1;
    const cols = inner.n;
    const per = Math.max(1, Math.ceil(p / nOuter));
    const chunk = per > 1 ? Math.max(4, Math.ceil(cols / per / 4) * 4) : cols;
    for (let o = 0; o < nOuter; o++) {
      const xb = px + o * (outer?.s ?? 0) * 4;
      const ob = po + o * cols * 4;
      for (let c0 = 0; c0 < cols; c0 += chunk) tasks.push([xb + c0 * 4, ob + c0 * 4, red.n, Math.min(chunk, cols - c0), red.s * 4]);
    }
    rt.run(`c${op}`, tasks, p > 1);
    return true;
  }
  return false;
}

/** Softmax / log-softmax along a contiguous innermost axis. */
export function softmax(rt: WasmRuntime, log: boolean, x: TensorView, axis: number, out: TensorView): boolean {
  const px = addr(rt, x);
  const po = addr(rt, out);
  const rank = x.shape.length;
  if (px < 0 || po < 0 || rank === 0 || !sameShape(x.shape, out.shape)) return false;
  const ax = axis < 0 ? axis + rank : axis;
  if (ax !== rank - 1) return false;
  const cols = x.shape[ax]!;
  if (cols > 1 && (x.strides[ax] !== 1 || out.strides[ax] !== 1)) return false;
  // the other dims must merge into one row dim for both views
  const outer = coalesce(x.shape.slice(0, -1), [x.strides.slice(0, -1), out.strides.slice(0, -1)]);
  if (outer === null || cols === 0) return true;
  if (outer.shape.length > 1) return false;
  const rows = outer.shape[0] ?? 1;
  const xrs = (outer.strides[0]![0] ?? 0) * 4;
  const ors = (outer.strides[1]![0] ?? 0) * 4;
  const p = rt.parallelism > 1 && rows * cols >= PARALLEL_MIN_HEAVY ? rt.parallelism : 1;
  const chunk = Math.ceil(rows / p);
  const tasks: number[][] = [];
  for (let r0 = 0; r0 < rows; r0 += chunk) tasks.push([px + r0 * xrs, po + r0 * ors, Math.min(chunk, rows - r0), cols, xrs, ors]);
  rt.run(log ? 'logsoftmax' : 'softmax', tasks, p > 1);
  return true;
}

/** Batched float32 matmul with any operand strides into a contiguous `out`. */
export function matmul(rt: WasmRuntime, a: TensorView, b: TensorView, out: TensorView): boolean {
  const pa = addr(rt, a);
  const pb = addr(rt, b);
  const pc = addr(rt, out);
  if (pa < 0 || pb < 0 || pc < 0) return false;
  const rank = out.shape.length;
  if (rank < 2 || a.shape.length !== rank || b.shape.length !== rank) return false;
  const M = a.shape[rank - 2]!;
  const K = a.shape[rank - 1]!;
  const N = b.shape[rank - 1]!;
  if (b.shape[rank - 2] !== K || out.shape[rank - 2] !== M || out.shape[rank - 1] !== N) return false;
  // out must be contiguous
  let expect = 1;
  for (let d = rank - 1; d >= 0; d--) {
    if (out.shape[d]! > 1 && out.strides[d] !== expect) return false;
    expect *= out.shape[d]!;
  }
  for (let d = 0; d < rank - 2; d++) if (a.shape[d] !== out.shape[d] || b.shape[d] !== out.shape[d]) return false;
  const batch = numel(out.shape.slice(0, rank - 2));
  if (batch === 0 || M === 0 || N === 0) return true;
  if (K === 0) {
    (out.buffer as CpuBuffer).data.fill(0, out.offset, out.offset + batch * M * N);
    return true;
  }
  const g = rt.geometry;
  const batchShape = out.shape.slice(0, rank - 2);
  const aStarts = batchOffsets(batchShape, a.strides);
  const bStarts = batchOffsets(batchShape, b.strides);
  const rsA = a.strides[rank - 2]! * 4;
  const csA = a.strides[rank - 1]! * 4;
  const rsB = b.strides[rank - 2]! * 4;
  const csB = b.strides[rank - 1]! * 4;
  if (M < g.MR && ((rsB === 4 && csA === 4) || csB === 4)) {
    matVec(rt, batch, M, K, N, pa, aStarts, rsA, csA, pb, bStarts, rsB, csB, pc);
    return true;
  }
  const sharedB = bStarts.every((s) => s === bStarts[0]);
  const packBytes = packedBFloats(g, K, N) * 4;
  const threads = M * N * K * batch >= MATMUL_PARALLEL_MIN ? rt.parallelism : 1;
  const workBytes = matmulScratchBytes(g) * threads;
  // Batches are processed in groups whose packed B copies fit a bounded scratch.
  const group = sharedB ? batch : Math.max(1, Math.min(batch, Math.floor((64 << 20) / packBytes)));
  const packs = sharedB ? 1 : group;
  const scratch = rt.heap.alloc(packs * packBytes + workBytes + 64, false);
  if (scratch < 0) return false;
  const bp0 = alignUp(scratch, 64);
  const work = bp0 + packs * packBytes;
  try {
    const panels = Math.ceil(N / g.NR);
    for (let t0 = 0; t0 < batch; t0 += group) {
      const t1 = Math.min(batch, t0 + group);
      // pack B
      if (!sharedB || t0 === 0) {
        const packTasks: number[][] = [];
        const per = threads > 1 ? Math.max(1, Math.ceil(panels / Math.ceil((threads * 2) / (t1 - t0)))) : panels;
        for (let t = t0; t < (sharedB ? t0 + 1 : t1); t++) {
          const dst = bp0 + (sharedB ? 0 : (t - t0) * packBytes);
          for (let j = 0; j < panels; j += per) {
            packTasks.push([pb + bStarts[t]! * 4, dst, K, N, rsB, csB, j * g.NR, Math.min(panels, j + per) * g.NR]);
          }
        }
        rt.run('mm_packb', packTasks, threads > 1);
      }
      // compute, by row blocks; a short A (one row block) is cut by columns instead, into one
      // even share per thread (row blocks of a few micro-tiles balance badly over two threads)
      const tasks: number[][] = [];
      const blocksPerBatch = threads > 1 ? Math.max(1, Math.ceil((threads * 2) / (t1 - t0))) : 1;
      const byColumns = blocksPerBatch > 1 && M <= g.MC && panels >= 2 * threads;
      const rows = byColumns ? M : Math.max(g.MR, Math.ceil(M / blocksPerBatch / g.MR) * g.MR);
      const cols = byColumns ? Math.ceil(panels / threads) * g.NR : N;
      for (let t = t0; t < t1; t++) {
        const bp = bp0 + (sharedB ? 0 : (t - t0) * packBytes);
        const ca = pa + aStarts[t]! * 4;
        const cc = pc + t * M * N * 4;
        for (let i0 = 0; i0 < M; i0 += rows) {
          for (let j0 = 0; j0 < N; j0 += cols) tasks.push([ca, bp, cc, N, K, rsA, csA, i0, Math.min(M, i0 + rows), work, j0, Math.min(N, j0 + cols)]);
        }
      }
      rt.run('mm_compute', tasks, threads > 1);
    }
  } finally {
    rt.heap.free(scratch);
  }
  return true;
}

/** Rows of A one at a time against an unpacked B: dot products when B's columns are contiguous, else axpy over its rows. */
function matVec(
  rt: WasmRuntime, batch: number, M: number, K: number, N: number,
  pa: number, aStarts: number[], rsA: number, csA: number,
  pb: number, bStarts: number[], rsB: number, csB: number, pc: number,
): void {
  const dot = rsB === 4 && csA === 4;
  const threads = M * N * K * batch >= MATMUL_PARALLEL_MIN ? rt.parallelism : 1;
  const per = threads > 1 ? Math.ceil(N / Math.ceil((threads * 2) / (batch * M))) : N;
  const chunk = Math.max(16, Math.ceil(per / 16) * 16);
  const tasks: number[][] = [];
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < M; i++) {
      const a = pa + aStarts[t]! * 4 + i * rsA;
      const b = pb + bStarts[t]! * 4;
      const c = pc + (t * M + i) * N * 4;
      for (let j0 = 0; j0 < N; j0 += chunk) {
        const j1 = Math.min(N, j0 + chunk);
        tasks.push(dot ? [a, b, c, K, csB, j0, j1] : [a, csA, b, rsB, c, K, j0, j1]);
      }
    }
  }
  rt.run(dot ? 'mv_dot' : 'mv_axpy', tasks, threads > 1);
}

/** Element offsets of every batch entry (row-major over `batchShape`). */
function batchOffsets(batchShape: readonly number[], strides: readonly number[]): number[] {
  const n = numel(batchShape);
  const out = new Array<number>(n);
  const idx = new Array<number>(batchShape.length).fill(0);
  for (let t = 0; t < n; t++) {
    let p = 0;
    for (let d = 0; d < batchShape.length; d++) p += idx[d]! * strides[d]!;
    out[t] = p;
    for (let d = batchShape.length - 1; d >= 0; d--) {
      if (++idx[d]! < batchShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}
