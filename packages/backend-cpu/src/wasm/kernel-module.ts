/**
 * Generates the CPU backend's WebAssembly module: float32 SIMD kernels over an imported
 * memory, all with the calling convention `(tid, …args)` so the thread pool can run any
 * of them on a range of the work (`tid` picks a thread's scratch; most kernels ignore it).
 * Pointers and strides are in bytes.
 *
 * - `un_<op>(tid, x, out, rows, cols, xRowStride, outRowStride)`: rows of contiguous elements.
 * - `bin_<op>_<vv|vs|sv>(tid, a, b, out, rows, cols, aRs, bRs, outRs)`: `s` is an operand
 *   that is one element per row (stride 0 along the row).
 * - `rsum|rmax|rmin(tid, x, out, rows, cols, xRs)`: out[r] = reduction of row r (contiguous out).
 * - `csum|cmax|cmin(tid, x, out, rows, cols, xRs)`: out[j] = reduction over rows of column j.
 * - `softmax|logsoftmax(tid, x, out, rows, cols, xRs, outRs)`.
 * - `mm_packb(tid, b, dst, K, N, rsB, csB, j0, j1)` and
 *   `mm_compute(tid, a, bp, c, N, K, rsA, csA, i0, i1, scratch, j0, j1)`: see `MatmulGeometry`.
 * - `mv_dot` / `mv_axpy`: one row of A times B, for products too short to pack.
 * - `rnn_gru_fwd` … `rnn_lstm_bwd(tid, params, r0, r1)`: recurrent gate steps (recurrent-kernels.ts).
 * - `ce_fwd` / `ce_bwd(tid, params, r0, r1)`: softmax cross-entropy rows (loss-kernels.ts).
 * - `philox(tid, params, b0, b1)`: uniform / bernoulli draws, Philox blocks [b0, b1) (random-kernels.ts).
 */
import { F64, I32, ModuleBuilder, V128, type Code, type FunctionBuilder, type Local } from './encoder.js';
import { embeddingKernels } from './embedding-kernels.js';
import { lossKernels } from './loss-kernels.js';
import { optimKernels } from './optim-kernels.js';
import { randomKernels } from './random-kernels.js';
import { recurrentKernels } from './recurrent-kernels.js';
import { VMath } from './vmath.js';

export const UNARY_KERNELS = [
  'neg', 'abs', 'sqrt', 'relu', 'square', 'reciprocal', 'rsqrt', 'exp', 'log', 'tanh', 'sigmoid', 'silu',
  'floor', 'ceil', 'trunc', 'round',
] as const;
export type UnaryKernel = (typeof UNARY_KERNELS)[number];

export const BINARY_KERNELS = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const;
export type BinaryKernel = (typeof BINARY_KERNELS)[number];
export type BinaryMode = 'vv' | 'vs' | 'sv';

export const REDUCE_KERNELS = ['sum', 'max', 'min'] as const;
export type ReduceKernel = (typeof REDUCE_KERNELS)[number];

/** Register blocking and cache blocking of the matmul. */
export interface MatmulGeometry {
  /** Rows and columns of the register-blocked micro-tile (NR = 8: two f32x4 per row). */
  readonly MR: number;
  readonly NR: 8;
  /** Rows of A packed per block (multiple of MR) and depth of a packed block. */
  readonly MC: number;
  readonly KC: number;
}

/**
 * A 6×8 tile: twelve accumulators, two B vectors and the A splat fill fifteen of x86's sixteen
 * vector registers. With fused multiply-add (relaxed SIMD) twelve independent chains hide the
 * FMA latency that eight (a 4×8 tile) leave exposed: 33 vs 26 GFLOP/s per core on matmul
 * 1024²; without FMA it is 4% ahead. A 120×256 A block (120 KiB) stays in L2.
 */
export const DEFAULT_GEOMETRY: MatmulGeometry = { MR: 6, NR: 8, MC: 120, KC: 256 };

/** Bytes of matmul scratch one thread needs (packed A block and an edge tile). */
export function matmulScratchBytes(g: MatmulGeometry): number {
  return g.MC * g.KC * 4 + g.MR * g.NR * 4 + 64;
}

/** Floats in the packed copy of a K×N B: each KC-deep block holds ⌈N/NR⌉ panels of kc×NR. */
export function packedBFloats(g: MatmulGeometry, K: number, N: number): number {
  return K * Math.ceil(N / g.NR) * g.NR;
}

export interface KernelModuleOptions {
  readonly relaxedSimd: boolean;
  readonly sharedMemory: boolean;
  readonly maximumPages: number;
  readonly geometry?: MatmulGeometry;
}

export interface KernelModule {
  readonly bytes: ArrayBuffer;
  readonly exports: string[];
  readonly geometry: MatmulGeometry;
}

type VecOp = (c: Code, vm: VMath, x: Local, out: Local) => void;

const UNARY_VEC: Readonly<Record<UnaryKernel, VecOp>> = {
  neg: (c, _, x, o) => void c.get(x).op('f32x4.neg').set(o),
  abs: (c, _, x, o) => void c.get(x).op('f32x4.abs').set(o),
  sqrt: (c, _, x, o) => void c.get(x).op('f32x4.sqrt').set(o),
  // pmax(x, 0) keeps NaN (a single instruction, unlike max); + 0 maps −0 to +0, like the TypeScript kernel.
  relu: (c, vm, x, o) => void c.get(x).get(vm.konst(0)).op('f32x4.pmax').get(vm.konst(0)).op('f32x4.add').set(o),
  square: (c, _, x, o) => void c.get(x).get(x).op('f32x4.mul').set(o),
  reciprocal: (c, _, x, o) => void c.f32x4(1).get(x).op('f32x4.div').set(o),
  rsqrt: (c, _, x, o) => void c.f32x4(1).get(x).op('f32x4.sqrt', 'f32x4.div').set(o),
  exp: (_, vm, x, o) => vm.exp(x, o),
  log: (_, vm, x, o) => vm.log(x, o),
  tanh: (_, vm, x, o) => vm.tanh(x, o),
  sigmoid: (_, vm, x, o) => vm.sigmoid(x, o),
  silu: (c, vm, x, o) => {
    vm.sigmoid(x, o);
    c.get(o).get(x).op('f32x4.mul').set(o);
  },
  floor: (c, _, x, o) => void c.get(x).op('f32x4.floor').set(o),
  ceil: (c, _, x, o) => void c.get(x).op('f32x4.ceil').set(o),
  trunc: (c, _, x, o) => void c.get(x).op('f32x4.trunc').set(o),
  // f32x4.nearest rounds half to even, as torch.round does.
  round: (c, _, x, o) => void c.get(x).op('f32x4.nearest').set(o),
};

const BINARY_OP: Readonly<Record<BinaryKernel, 'f32x4.add' | 'f32x4.sub' | 'f32x4.mul' | 'f32x4.div' | 'f32x4.max' | 'f32x4.min'>> = {
  add: 'f32x4.add',
  sub: 'f32x4.sub',
  mul: 'f32x4.mul',
  div: 'f32x4.div',
  // Wasm min/max propagate NaN and order −0 < +0, as Math.max/min do.
  maximum: 'f32x4.max',
  minimum: 'f32x4.min',
};

function i32s(n: number): typeof I32[] {
  return new Array<typeof I32>(n).fill(I32);
}

/** Pushes `min(a, b)` of two i32 values given as (local | const). */
function minI32(c: Code, a: Local, b: Local): void {
  c.get(a).get(b).get(a).get(b).op('i32.lt_s', 'select');
}

// ---- elementwise --------------------------------------------------------------------------

/**
 * Emits the row loop shared by unary/binary kernels: for each row, a SIMD loop over
 * groups of four and a scalar tail that runs the same vector code on a splat.
 */
function rowLoop(
  f: FunctionBuilder,
  rows: Local,
  cols: Local,
  ptrs: { base: Local; rowStride: Local; step: number }[],
  outIndex: number,
  vector: (cur: Local[], tail: boolean) => void,
): void {
  const c = f.code;
  const r = f.local(I32);
  const cur = ptrs.map(() => f.local(I32));
  const endv = f.local(I32);
  const end = f.local(I32);
  const o = cur[outIndex]!;
  c.range(r, 0, rows, 1, () => {
    ptrs.forEach((p, k) => c.get(p.base).set(cur[k]!));
    c.get(o).get(cols).i32(~3).op('i32.and').i32(2).op('i32.shl', 'i32.add').set(endv);
    c.get(o).get(cols).i32(2).op('i32.shl', 'i32.add').set(end);
    c.while(
      () => c.get(o).get(endv).op('i32.lt_u'),
      () => {
        vector(cur, false);
        ptrs.forEach((p, k) => {
          if (p.step !== 0) c.inc(cur[k]!, p.step * 4);
        });
      },
    );
    c.while(
      () => c.get(o).get(end).op('i32.lt_u'),
      () => {
        vector(cur, true);
        ptrs.forEach((p, k) => {
          if (p.step !== 0) c.inc(cur[k]!, p.step);
        });
      },
    );
    ptrs.forEach((p) => c.inc(p.base, p.rowStride));
  });
}

function unaryKernel(m: ModuleBuilder, op: UnaryKernel): void {
  const f = m.func(i32s(7), [], `un_${op}`);
  const [, x, out, rows, cols, xrs, ors] = f.params as [Local, Local, Local, Local, Local, Local, Local];
  const vm = new VMath(f);
  const v = f.local(V128);
  const res = f.local(V128);
  const c = f.code;
  rowLoop(f, rows, cols, [{ base: x, rowStride: xrs, step: 4 }, { base: out, rowStride: ors, step: 4 }], 1, ([px, po], tail) => {
    if (tail) c.get(px!).mem('v128.load32_splat').set(v);
    else c.get(px!).mem('v128.load').set(v);
    UNARY_VEC[op](c, vm, v, res);
    if (tail) c.get(po!).get(res).lane('f32x4.extract_lane', 0).mem('f32.store');
    else c.get(po!).get(res).mem('v128.store');
  });
}

function binaryKernel(m: ModuleBuilder, op: BinaryKernel, mode: BinaryMode): void {
  const f = m.func(i32s(9), [], `bin_${op}_${mode}`);
  const [, a, b, out, rows, cols, ars, brs, ors] = f.params as Local[] as [Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const c = f.code;
  const sa = mode === 'sv';
  const sb = mode === 'vs';
  const va = f.local(V128);
  const vb = f.local(V128);
  rowLoop(
    f,
    rows,
    cols,
    [
      { base: a, rowStride: ars, step: sa ? 0 : 4 },
      { base: b, rowStride: brs, step: sb ? 0 : 4 },
      { base: out, rowStride: ors, step: 4 },
    ],
    2,
    ([pa, pb, po], tail) => {
      c.get(pa!).mem(sa || tail ? 'v128.load32_splat' : 'v128.load').set(va);
      c.get(pb!).mem(sb || tail ? 'v128.load32_splat' : 'v128.load').set(vb);
      c.get(po!).get(va).get(vb).op(BINARY_OP[op]);
      if (tail) c.lane('f32x4.extract_lane', 0).mem('f32.store');
      else c.mem('v128.store');
    },
  );
}

// ---- reductions ---------------------------------------------------------------------------

/** Lanes 2,3 of a v128 moved to 0,1 (for promoting the high half to f64x2). */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** acc0 += promote(v.lo), acc1 += promote(v.hi). */
function addPromoted(c: Code, v: Local, acc0: Local, acc1: Local): void {
  c.get(acc0).get(v).op('f64x2.promote_low_f32x4', 'f64x2.add').set(acc0);
  c.get(acc1).get(v).get(v).shuffle(HIGH_HALF).op('f64x2.promote_low_f32x4', 'f64x2.add').set(acc1);
}

/** Row reductions: sums accumulate in float64 (like the TypeScript kernel), max/min in f32x4. */
function rowReduceKernel(m: ModuleBuilder, op: ReduceKernel): void {
  const f = m.func(i32s(6), [], `r${op}`);
  const [, x, out, rows, cols, xrs] = f.params as [Local, Local, Local, Local, Local, Local];
  const c = f.code;
  const r = f.local(I32);
  const p = f.local(I32);
  const endv = f.local(I32);
  const end = f.local(I32);
  const v = f.local(V128);
  const acc0 = f.local(V128);
  const acc1 = f.local(V128);
  const s = f.local(F64);
  c.range(r, 0, rows, 1, () => {
    c.get(x).set(p);
    c.get(x).get(cols).i32(~3).op('i32.and').i32(2).op('i32.shl', 'i32.add').set(endv);
    c.get(x).get(cols).i32(2).op('i32.shl', 'i32.add').set(end);
    if (op === 'sum') {
      c.f64(0).op('f64x2.splat').tee(acc0).set(acc1);
      c.while(
        () => c.get(p).get(endv).op('i32.lt_u'),
        () => {
          c.get(p).mem('v128.load').set(v);
          addPromoted(c, v, acc0, acc1);
          c.inc(p, 16);
        },
      );
      c.get(acc0).get(acc1).op('f64x2.add').set(acc0);
      c.get(acc0).lane('f64x2.extract_lane', 0).get(acc0).lane('f64x2.extract_lane', 1).op('f64.add').set(s);
      c.while(
        () => c.get(p).get(end).op('i32.lt_u'),
        () => {
          c.get(s).get(p).mem('f32.load').op('f64.promote_f32', 'f64.add').set(s);
          c.inc(p, 4);
        },
      );
      c.get(out).get(s).op('f32.demote_f64').mem('f32.store');
    } else {
      const vop = op === 'max' ? 'f32x4.max' : 'f32x4.min';
      const sop = op === 'max' ? 'f32.max' : 'f32.min';
      c.f32x4(op === 'max' ? -Infinity : Infinity).set(acc0);
      c.while(
        () => c.get(p).get(endv).op('i32.lt_u'),
        () => {
          c.get(acc0).get(p).mem('v128.load').op(vop).set(acc0);
          c.inc(p, 16);
        },
      );
      c.while(
        () => c.get(p).get(end).op('i32.lt_u'),
        () => {
          c.get(acc0).get(p).mem('v128.load32_splat').op(vop).set(acc0);
          c.inc(p, 4);
        },
      );
      c.get(out);
      c.get(acc0).lane('f32x4.extract_lane', 0).get(acc0).lane('f32x4.extract_lane', 1).op(sop);
      c.get(acc0).lane('f32x4.extract_lane', 2).get(acc0).lane('f32x4.extract_lane', 3).op(sop, sop);
      c.mem('f32.store');
    }
    c.inc(x, xrs).inc(out, 4);
  });
}

/** Column reductions: out[j] over rows, four columns at a time. */
function colReduceKernel(m: ModuleBuilder, op: ReduceKernel): void {
  const f = m.func(i32s(6), [], `c${op}`);
  const [, x, out, rows, cols, xrs] = f.params as [Local, Local, Local, Local, Local, Local];
  const c = f.code;
  const j = f.local(I32);
  const r = f.local(I32);
  const p = f.local(I32);
  const cols4 = f.local(I32);
  const v = f.local(V128);
  const acc0 = f.local(V128);
  const acc1 = f.local(V128);
  const s = f.local(F64);
  const sf = f.local(0x7d);
  c.get(cols).i32(~3).op('i32.and').set(cols4);
  c.range(j, 0, cols4, 4, () => {
    c.get(x).get(j).i32(2).op('i32.shl', 'i32.add').set(p);
    if (op === 'sum') {
      c.f64(0).op('f64x2.splat').tee(acc0).set(acc1);
      c.range(r, 0, rows, 1, () => {
        c.get(p).mem('v128.load').set(v);
        addPromoted(c, v, acc0, acc1);
        c.inc(p, xrs);
      });
      c.get(out).get(j).i32(2).op('i32.shl', 'i32.add');
      c.get(acc0).op('f32x4.demote_f64x2_zero').get(acc1).op('f32x4.demote_f64x2_zero');
      c.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]).mem('v128.store');
    } else {
      c.f32x4(op === 'max' ? -Infinity : Infinity).set(acc0);
      c.range(r, 0, rows, 1, () => {
        c.get(acc0).get(p).mem('v128.load').op(op === 'max' ? 'f32x4.max' : 'f32x4.min').set(acc0);
        c.inc(p, xrs);
      });
      c.get(out).get(j).i32(2).op('i32.shl', 'i32.add').get(acc0).mem('v128.store');
    }
  });
  c.range(j, cols4, cols, 1, () => {
    c.get(x).get(j).i32(2).op('i32.shl', 'i32.add').set(p);
    if (op === 'sum') {
      c.f64(0).set(s);
      c.range(r, 0, rows, 1, () => {
        c.get(s).get(p).mem('f32.load').op('f64.promote_f32', 'f64.add').set(s);
        c.inc(p, xrs);
      });
      c.get(out).get(j).i32(2).op('i32.shl', 'i32.add').get(s).op('f32.demote_f64').mem('f32.store');
    } else {
      c.f32(op === 'max' ? -Infinity : Infinity).set(sf);
      c.range(r, 0, rows, 1, () => {
        c.get(sf).get(p).mem('f32.load').op(op === 'max' ? 'f32.max' : 'f32.min').set(sf);
        c.inc(p, xrs);
      });
      c.get(out).get(j).i32(2).op('i32.shl', 'i32.add').get(sf).mem('f32.store');
    }
  });
}

// ---- softmax ------------------------------------------------------------------------------

function softmaxKernel(m: ModuleBuilder, log: boolean): void {
  const f = m.func(i32s(7), [], log ? 'logsoftmax' : 'softmax');
  const [, x, out, rows, cols, xrs, ors] = f.params as [Local, Local, Local, Local, Local, Local, Local];
  const c = f.code;
  const vm = new VMath(f);
  const r = f.local(I32);
  const px = f.local(I32);
  const po = f.local(I32);
  const n4 = f.local(I32);
  const n = f.local(I32);
  const i = f.local(I32);
  const v = f.local(V128);
  const e = f.local(V128);
  const mx = f.local(V128);
  const acc0 = f.local(V128);
  const acc1 = f.local(V128);
  const total = f.local(V128);
  c.get(cols).i32(~3).op('i32.and').set(n4);
  c.get(cols).set(n);
  c.range(r, 0, rows, 1, () => {
    // pass 1: row max (NaN propagates)
    c.f32x4(-Infinity).set(mx);
    c.get(x).set(px);
    c.range(i, 0, n4, 4, () => {
      c.get(mx).get(px).mem('v128.load').op('f32x4.max').set(mx);
      c.inc(px, 16);
    });
    c.range(i, n4, n, 1, () => {
      c.get(mx).get(px).mem('v128.load32_splat').op('f32x4.max').set(mx);
      c.inc(px, 4);
    });
    c.get(mx).get(mx).get(mx).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]).op('f32x4.max').set(mx);
    c.get(mx).get(mx).get(mx).shuffle([4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11]).op('f32x4.max').set(mx);
    // pass 2: e = exp(x − max), summed in float64 (softmax also stores e)
    c.f64(0).op('f64x2.splat').tee(acc0).set(acc1);
    c.get(x).set(px);
    c.get(out).set(po);
    const step = (tail: boolean) => {
      c.get(px).mem(tail ? 'v128.load32_splat' : 'v128.load').get(mx).op('f32x4.sub').set(v);
      vm.exp(v, e);
      if (tail) c.get(e).f32x4(0, 0, 0, 0).shuffle([0, 1, 2, 3, 16, 17, 18, 19, 16, 17, 18, 19, 16, 17, 18, 19]).set(e);
      addPromoted(c, e, acc0, acc1);
      if (!log) {
        c.get(po);
        if (tail) c.get(e).lane('f32x4.extract_lane', 0).mem('f32.store');
        else c.get(e).mem('v128.store');
      }
      c.inc(px, tail ? 4 : 16).inc(po, tail ? 4 : 16);
    };
    c.range(i, 0, n4, 4, () => step(false));
    c.range(i, n4, n, 1, () => step(true));
    c.get(acc0).get(acc1).op('f64x2.add').set(acc0);
    c.get(acc0).get(acc0).get(acc0).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]).op('f64x2.add');
    c.op('f32x4.demote_f64x2_zero').lane('f32x4.extract_lane', 0).op('f32x4.splat').set(total);
    // pass 3
    c.get(x).set(px);
    c.get(out).set(po);
    if (log) vm.log(total, total);
    const write = (tail: boolean) => {
      c.get(po);
      if (log) {
        // (x − max) − log(sum), as PyTorch computes it
        c.get(px).mem(tail ? 'v128.load32_splat' : 'v128.load').get(mx).op('f32x4.sub').get(total).op('f32x4.sub');
      } else {
        c.get(po).mem(tail ? 'v128.load32_splat' : 'v128.load').get(total).op('f32x4.div');
      }
      if (tail) c.lane('f32x4.extract_lane', 0).mem('f32.store');
      else c.mem('v128.store');
      c.inc(px, tail ? 4 : 16).inc(po, tail ? 4 : 16);
    };
    c.range(i, 0, n4, 4, () => write(false));
    c.range(i, n4, n, 1, () => write(true));
    c.inc(x, xrs).inc(out, ors);
  });
}

// ---- matmul -------------------------------------------------------------------------------

/** acc ← acc + x·y on f32x4 locals: one fused multiply-add with relaxed SIMD, else mul then add. */
function madd(c: Code, relaxed: boolean, x: Local, y: Local, acc: Local): void {
  if (relaxed) c.get(x).get(y).get(acc).op('f32x4.relaxed_madd').set(acc);
  else c.get(acc).get(x).get(y).op('f32x4.mul', 'f32x4.add').set(acc);
}

/**
 * The micro-kernel: dst (rows×NR, row stride ldd bytes) = or += Ap panel · Bp panel over kc,
 * the tile held in 2·rows f32x4 accumulators. A panels are MR rows wide; a kernel with
 * rows < MR reads the first `rows` of each (the bottom edge of C, without a scratch tile).
 */
function microKernel(m: ModuleBuilder, g: MatmulGeometry, relaxed: boolean, rows: number): FunctionBuilder {
  const { MR } = g;
  const f = m.func(i32s(6), []);
  const [ap, bp, kc, dst, ldd, accumulate] = f.params as [Local, Local, Local, Local, Local, Local];
  const c = f.code;
  const acc: Local[] = [];
  for (let i = 0; i < 2 * rows; i++) acc.push(f.local(V128));
  // Few rows leave too few independent accumulator chains to hide the add/FMA latency: the
  // odd k steps then go to a second set, summed at the end.
  const accOdd: Local[] = rows <= 3 ? acc.map(() => f.local(V128)) : acc;
  const b0 = f.local(V128);
  const b1 = f.local(V128);
  const a = f.local(V128);
  const k = f.local(I32);
  const p = f.local(I32);
  const stepAt = (aOff: number, bOff: number, into: readonly Local[]) => {
    c.get(bp).mem('v128.load', bOff).set(b0);
    c.get(bp).mem('v128.load', bOff + 16).set(b1);
    for (let r = 0; r < rows; r++) {
      c.get(ap).mem('v128.load32_splat', aOff + 4 * r).set(a);
      madd(c, relaxed, a, b0, into[2 * r]!);
      madd(c, relaxed, a, b1, into[2 * r + 1]!);
    }
  };
  // k loop unrolled by two
  c.get(kc).set(k);
  c.while(
    () => c.get(k).i32(2).op('i32.ge_s'),
    () => {
      stepAt(0, 0, acc);
      stepAt(4 * MR, 32, accOdd);
      c.inc(ap, 8 * MR).inc(bp, 64).get(k).i32(2).op('i32.sub').set(k);
    },
  );
  c.get(k).if();
  stepAt(0, 0, acc);
  c.end();
  if (accOdd !== acc) acc.forEach((l, i) => c.get(l).get(accOdd[i]!).op('f32x4.add').set(l));
  c.get(dst).set(p);
  c.get(accumulate).if();
  for (let r = 0; r < rows; r++) {
    c.get(p).get(p).mem('v128.load').get(acc[2 * r]!).op('f32x4.add').mem('v128.store');
    c.get(p).get(p).mem('v128.load', 16).get(acc[2 * r + 1]!).op('f32x4.add').mem('v128.store', 16);
    c.inc(p, ldd);
  }
  c.else();
  for (let r = 0; r < rows; r++) {
    c.get(p).get(acc[2 * r]!).mem('v128.store');
    c.get(p).get(acc[2 * r + 1]!).mem('v128.store', 16);
    c.inc(p, ldd);
  }
  c.end();
  return f;
}

/** Byte lanes of i8x16.shuffle for a 4×4 f32 transpose: interleave lanes 0,1 / 2,3 of a and b, then take halves. */
const LO_PAIRS = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
const HI_PAIRS = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];
const LO_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
const HI_HALVES = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];

/** Packs column panels [j0, j1) of a K×N B (any strides) into NR-wide, zero-padded panels. */
function packBKernel(m: ModuleBuilder, g: MatmulGeometry): void {
  const { NR, KC } = g;
  const f = m.func(i32s(9), [], 'mm_packb');
  const [, b, dst, K, N, rsB, csB, j0, j1] = f.params as Local[] as [Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const c = f.code;
  const jr = f.local(I32);
  const pc = f.local(I32);
  const kc = f.local(I32);
  const nr = f.local(I32);
  const k = f.local(I32);
  const q = f.local(I32);
  const src = f.local(I32);
  const w = f.local(I32);
  const npad = f.local(I32);
  const kcMax = f.local(I32);
  const tmp = f.local(I32);
  const k0 = f.local(I32);
  const col: Local[] = [];
  for (let q = 0; q < NR; q++) col.push(f.local(V128));
  const t = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  c.get(N).i32(NR - 1).op('i32.add').i32(-NR).op('i32.and').set(npad);
  c.i32(KC).set(kcMax);
  c.range(jr, j0, j1, NR, () => {
    c.get(N).get(jr).op('i32.sub').set(tmp);
    c.i32(NR).set(nr);
    c.get(tmp).i32(NR).op('i32.lt_s').if().get(tmp).set(nr).end();
    c.range(pc, 0, K, KC, () => {
      c.get(K).get(pc).op('i32.sub').set(tmp);
      minI32(c, tmp, kcMax);
      c.set(kc);
      // w = dst + (pc·npad + jr·kc)·4
      c.get(dst).get(pc).get(npad).op('i32.mul').get(jr).get(kc).op('i32.mul', 'i32.add').i32(2).op('i32.shl', 'i32.add').set(w);
      c.get(b).get(pc).get(rsB).op('i32.mul', 'i32.add').get(jr).get(csB).op('i32.mul', 'i32.add').set(src);
      c.get(nr).i32(NR).op('i32.eq').get(csB).i32(4).op('i32.eq', 'i32.and').if();
      c.range(k, 0, kc, 1, () => {
        c.get(w).get(src).mem('v128.load').mem('v128.store');
        c.get(w).get(src).mem('v128.load', 16).mem('v128.store', 16);
        c.inc(w, 32).inc(src, rsB);
      });
      c.else();
      c.i32(0).set(k0);
      // B's columns contiguous (B = Wᵀ): transpose 4×4 blocks with shuffles, four k at a time
      c.get(nr).i32(NR).op('i32.eq').get(rsB).i32(4).op('i32.eq', 'i32.and').if();
      c.get(kc).i32(~3).op('i32.and').set(k0);
      c.range(k, 0, k0, 4, () => {
        for (let q = 0; q < NR; q++) {
          c.get(src);
          if (q > 0) c.get(csB).i32(q).op('i32.mul', 'i32.add');
          c.mem('v128.load').set(col[q]!);
        }
        for (let half = 0; half < 2; half++) {
          const [v0, v1, v2, v3] = col.slice(4 * half, 4 * half + 4) as [Local, Local, Local, Local];
          c.get(v0).get(v1).shuffle(LO_PAIRS).set(t[0]!);
          c.get(v2).get(v3).shuffle(LO_PAIRS).set(t[1]!);
          c.get(v0).get(v1).shuffle(HI_PAIRS).set(t[2]!);
          c.get(v2).get(v3).shuffle(HI_PAIRS).set(t[3]!);
          for (let kk = 0; kk < 4; kk++) {
            c.get(w).get(t[kk < 2 ? 0 : 2]!).get(t[kk < 2 ? 1 : 3]!).shuffle(kk % 2 === 0 ? LO_HALVES : HI_HALVES);
            c.mem('v128.store', kk * 4 * NR + 16 * half);
          }
        }
        c.inc(w, 16 * NR).inc(src, 16);
      });
      c.end();
      c.range(k, k0, kc, 1, () => {
        c.range(q, 0, nr, 1, () => {
          c.get(w).get(q).i32(2).op('i32.shl', 'i32.add');
          c.get(src).get(q).get(csB).op('i32.mul', 'i32.add').mem('f32.load').mem('f32.store');
        });
        c.range(q, nr, kcMax, 1, () => {
          // zero padding up to NR (kcMax ≥ NR, the loop breaks at NR below)
          c.get(q).i32(NR).op('i32.ge_s').brIf(1);
          c.get(w).get(q).i32(2).op('i32.shl', 'i32.add').f32(0).mem('f32.store');
        });
        c.inc(w, 4 * NR).inc(src, rsB);
      });
      c.end();
    });
  });
}

/**
 * Computes rows [i0, i1) and columns [j0, j1) of C = A·B from packed B panels (j0 a multiple
 * of NR), packing A blocks into this thread's scratch.
 */
function computeKernel(m: ModuleBuilder, g: MatmulGeometry, micros: readonly FunctionBuilder[]): FunctionBuilder {
  const { MR, NR, MC, KC } = g;
  const micro = micros[MR]!;
  const f = m.func(i32s(13), [], 'mm_compute');
  const [tid, a, bp, cPtr, N, K, rsA, csA, i0, i1, scratch, j0, j1] = f.params as Local[] as [
    Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local,
  ];
  const c = f.code;
  const ws = f.local(I32);
  const tile = f.local(I32);
  const npad = f.local(I32);
  const ic = f.local(I32);
  const mc = f.local(I32);
  const pc = f.local(I32);
  const kc = f.local(I32);
  const jr = f.local(I32);
  const nr = f.local(I32);
  const ir = f.local(I32);
  const mr = f.local(I32);
  const k = f.local(I32);
  const r = f.local(I32);
  const q = f.local(I32);
  const src = f.local(I32);
  const w = f.local(I32);
  const bpanel = f.local(I32);
  const cp = f.local(I32);
  const ldc = f.local(I32);
  const tmp = f.local(I32);
  const lim = f.local(I32);
  const accFlag = f.local(I32);
  c.get(scratch).get(tid).i32(matmulScratchBytes(g)).op('i32.mul', 'i32.add').set(ws);
  c.get(ws).i32(MC * KC * 4).op('i32.add').set(tile);
  c.get(N).i32(NR - 1).op('i32.add').i32(-NR).op('i32.and').set(npad);
  c.get(N).i32(2).op('i32.shl').set(ldc);
  c.range(ic, i0, i1, MC, () => {
    c.get(i1).get(ic).op('i32.sub').set(tmp);
    c.i32(MC).set(lim);
    minI32(c, tmp, lim);
    c.set(mc);
    c.range(pc, 0, K, KC, () => {
      c.get(K).get(pc).op('i32.sub').set(tmp);
      c.i32(KC).set(lim);
      minI32(c, tmp, lim);
      c.set(kc);
      c.get(pc).i32(0).op('i32.gt_s').set(accFlag);
      // pack A[ic:ic+mc, pc:pc+kc] into MR-row panels (k-major, zero-padded rows)
      c.get(ws).set(w);
      c.range(ir, 0, mc, MR, () => {
        c.get(mc).get(ir).op('i32.sub').set(mr);
        c.get(a).get(ic).get(ir).op('i32.add').get(rsA).op('i32.mul', 'i32.add').get(pc).get(csA).op('i32.mul', 'i32.add').set(src);
        c.get(mr).i32(MR).op('i32.ge_s').if();
        c.range(k, 0, kc, 1, () => {
          for (let rr = 0; rr < MR; rr++) {
            c.get(w).get(src);
            if (rr > 0) c.get(rsA).i32(rr).op('i32.mul', 'i32.add');
            c.mem('f32.load').mem('f32.store', 4 * rr);
          }
          c.inc(w, 4 * MR).inc(src, csA);
        });
        c.else();
        c.range(k, 0, kc, 1, () => {
          c.i32(0).set(r);
          c.while(
            () => c.get(r).i32(MR).op('i32.lt_s'),
            () => {
              // rows past the edge read row 0 (always valid) and store 0
              c.get(w).get(r).i32(2).op('i32.shl', 'i32.add');
              c.get(src).get(r).get(rsA).op('i32.mul', 'i32.add').get(src).get(r).get(mr).op('i32.lt_s', 'select');
              c.mem('f32.load').f32(0).get(r).get(mr).op('i32.lt_s', 'select');
              c.mem('f32.store');
              c.inc(r);
            },
          );
          c.inc(w, 4 * MR).inc(src, csA);
        });
        c.end();
      });
      c.range(jr, j0, j1, NR, () => {
        c.get(j1).get(jr).op('i32.sub').set(nr);
        c.get(bp).get(pc).get(npad).op('i32.mul').get(jr).get(kc).op('i32.mul', 'i32.add').i32(2).op('i32.shl', 'i32.add').set(bpanel);
        c.range(ir, 0, mc, MR, () => {
          c.get(mc).get(ir).op('i32.sub').set(mr);
          c.get(cPtr).get(ic).get(ir).op('i32.add').get(N).op('i32.mul').get(jr).op('i32.add').i32(2).op('i32.shl', 'i32.add').set(cp);
          c.get(nr).i32(NR).op('i32.ge_s').if();
          // whole columns: the kernel for min(mr, MR) rows writes C directly
          for (let rows = MR; rows >= 1; rows--) {
            if (rows > 1) c.get(mr).i32(rows).op(rows === MR ? 'i32.ge_s' : 'i32.eq').if();
            c.get(ws).get(ir).get(kc).op('i32.mul').i32(2).op('i32.shl', 'i32.add').get(bpanel).get(kc).get(cp).get(ldc).get(accFlag).call(micros[rows]!);
            if (rows > 1) c.else();
          }
          for (let rows = MR; rows > 1; rows--) c.end();
          c.else();
          c.get(ws).get(ir).get(kc).op('i32.mul').i32(2).op('i32.shl', 'i32.add').get(bpanel).get(kc).get(tile).i32(NR * 4).i32(0).call(micro);
          // copy (or add) the valid mr×nr corner of the tile into C
          c.i32(MR).set(lim);
          minI32(c, mr, lim);
          c.set(tmp);
          c.range(r, 0, tmp, 1, () => {
            c.range(q, 0, nr, 1, () => {
              c.get(q).i32(NR).op('i32.ge_s').brIf(1);
              c.get(cp).get(r).get(ldc).op('i32.mul', 'i32.add').get(q).i32(2).op('i32.shl', 'i32.add').set(src);
              c.get(src);
              c.get(tile).get(r).i32(NR).op('i32.mul').get(q).op('i32.add').i32(2).op('i32.shl', 'i32.add').mem('f32.load');
              c.get(src).mem('f32.load').f32(0).get(accFlag).op('select', 'f32.add');
              c.mem('f32.store');
            });
          });
          c.end();
        });
      });
    });
  });
  return f;
}

/**
 * Matrix-vector products for a row of A (M below the micro-tile height, where packing
 * would cost as much as the product):
 * - `mv_dot(tid, a, b, c, K, csB, j0, j1)`: c[j] = a · B[:, j] with B's columns contiguous
 *   (B = Wᵀ, as in `x @ W.T`), a contiguous; f32x4 dot products.
 * - `mv_axpy(tid, a, csA, b, rsB, c, K, j0, j1)`: c[j0:j1] = Σ_k a[k]·B[k, j0:j1] with B's
 *   rows contiguous; sixteen columns at a time in four accumulators.
 */
function matVecKernels(m: ModuleBuilder, relaxed: boolean): void {
  {
    const f = m.func(i32s(8), [], 'mv_dot');
    const [, a, b, cp, K, csB, j0, j1] = f.params as Local[] as [Local, Local, Local, Local, Local, Local, Local, Local];
    const c = f.code;
    const j = f.local(I32);
    const k = f.local(I32);
    const k4 = f.local(I32);
    const pa = f.local(I32);
    const pb = f.local(I32);
    const va = f.local(V128);
    const vb = f.local(V128);
    const acc0 = f.local(V128);
    const acc1 = f.local(V128);
    const s = f.local(0x7d);
    c.get(K).i32(~7).op('i32.and').set(k4);
    c.range(j, j0, j1, 1, () => {
      c.get(a).set(pa);
      c.get(b).get(j).get(csB).op('i32.mul', 'i32.add').set(pb);
      c.f32x4(0).tee(acc0).set(acc1);
      c.range(k, 0, k4, 8, () => {
        c.get(pa).mem('v128.load').set(va);
        c.get(pb).mem('v128.load').set(vb);
        madd(c, relaxed, va, vb, acc0);
        c.get(pa).mem('v128.load', 16).set(va);
        c.get(pb).mem('v128.load', 16).set(vb);
        madd(c, relaxed, va, vb, acc1);
        c.inc(pa, 32).inc(pb, 32);
      });
      c.get(acc0).get(acc1).op('f32x4.add').set(acc0);
      c.get(acc0).lane('f32x4.extract_lane', 0).get(acc0).lane('f32x4.extract_lane', 1).op('f32.add');
      c.get(acc0).lane('f32x4.extract_lane', 2).get(acc0).lane('f32x4.extract_lane', 3).op('f32.add', 'f32.add').set(s);
      c.range(k, k4, K, 1, () => {
        c.get(s).get(pa).mem('f32.load').get(pb).mem('f32.load').op('f32.mul', 'f32.add').set(s);
        c.inc(pa, 4).inc(pb, 4);
      });
      c.get(cp).get(j).i32(2).op('i32.shl', 'i32.add').get(s).mem('f32.store');
    });
  }
  {
    const f = m.func(i32s(9), [], 'mv_axpy');
    const [, a, csA, b, rsB, cp, K, j0, j1] = f.params as Local[] as [Local, Local, Local, Local, Local, Local, Local, Local, Local];
    const c = f.code;
    const j = f.local(I32);
    const k = f.local(I32);
    const jEnd = f.local(I32);
    const pa = f.local(I32);
    const pb = f.local(I32);
    const sa = f.local(V128);
    const vb = f.local(V128);
    const acc = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
    const sf = f.local(0x7d);
    // columns in blocks of `width` (16 or 4) while they fit, then one at a time
    const blocks = (width: number) => {
      const vecs = width / 4;
      c.get(j1).i32(width - 1).op('i32.sub').set(jEnd);
      c.while(
        () => c.get(j).get(jEnd).op('i32.lt_s'),
        () => {
          for (let v = 0; v < vecs; v++) c.f32x4(0).set(acc[v]!);
          c.get(a).set(pa);
          c.get(b).get(j).i32(2).op('i32.shl', 'i32.add').set(pb);
          c.range(k, 0, K, 1, () => {
            c.get(pa).mem('v128.load32_splat').set(sa);
            for (let v = 0; v < vecs; v++) {
              c.get(pb).mem('v128.load', 16 * v).set(vb);
              madd(c, relaxed, sa, vb, acc[v]!);
            }
            c.inc(pa, csA).inc(pb, rsB);
          });
          for (let v = 0; v < vecs; v++) c.get(cp).get(j).i32(2).op('i32.shl', 'i32.add').get(acc[v]!).mem('v128.store', 16 * v);
          c.inc(j, width);
        },
      );
    };
    c.get(j0).set(j);
    blocks(16);
    blocks(4);
    c.while(
      () => c.get(j).get(j1).op('i32.lt_s'),
      () => {
        c.f32(0).set(sf);
        c.get(a).set(pa);
        c.get(b).get(j).i32(2).op('i32.shl', 'i32.add').set(pb);
        c.range(k, 0, K, 1, () => {
          c.get(sf).get(pa).mem('f32.load').get(pb).mem('f32.load').op('f32.mul', 'f32.add').set(sf);
          c.inc(pa, csA).inc(pb, rsB);
        });
        c.get(cp).get(j).i32(2).op('i32.shl', 'i32.add').get(sf).mem('f32.store');
        c.inc(j);
      },
    );
  }
}

/** Builds the whole kernel module for the engine's features. */
export function buildKernelModule(options: KernelModuleOptions): KernelModule {
  const geometry = options.geometry ?? DEFAULT_GEOMETRY;
  const m = new ModuleBuilder();
  m.importMemory({ module: 'env', name: 'memory', initial: 1, maximum: options.maximumPages, shared: options.sharedMemory });
  for (const op of UNARY_KERNELS) unaryKernel(m, op);
  for (const op of BINARY_KERNELS) for (const mode of ['vv', 'vs', 'sv'] as const) binaryKernel(m, op, mode);
  for (const op of REDUCE_KERNELS) {
    rowReduceKernel(m, op);
    colReduceKernel(m, op);
  }
  // zero(tid, ptr, bytes): a native memset, for recycled heap blocks
  const zero = m.func(i32s(3), [], 'zero');
  zero.code.get(zero.params[1]!).i32(0).get(zero.params[2]!).memoryFill();
  softmaxKernel(m, false);
  softmaxKernel(m, true);
  // micros[r]: the micro-kernel for r rows (r = MR the main one, fewer for C's bottom edge)
  const micros = Array.from({ length: geometry.MR + 1 }, (_, r) => (r === 0 ? null : microKernel(m, geometry, options.relaxedSimd, r)));
  packBKernel(m, geometry);
  const compute = computeKernel(m, geometry, micros as FunctionBuilder[]);
  matVecKernels(m, options.relaxedSimd);
  recurrentKernels(m, compute);
  embeddingKernels(m);
  optimKernels(m);
  lossKernels(m);
  randomKernels(m);
  return { bytes: m.encode(), exports: m.exportNames, geometry };
}
