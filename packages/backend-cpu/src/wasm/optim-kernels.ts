/**
 * The optimizer-update kernels of the backend's Wasm module (float32 SIMD), with the
 * semantics of the `sgdStep`, `adamStep`, `rmspropStep` and `adagradStep` fused kernels
 * (documented in @torchlet/backend's `FusedKernels`; TypeScript reference in
 * ../kernels/optim.ts):
 *
 * - `opt_sgd|opt_adam|opt_rmsprop|opt_adagrad(tid, params, i0, i1)`: elements [i0, i1) of a
 *   contiguous parameter and its gradient and state, four at a time, then one at a time (the
 *   same vector code on a splat). Elements are independent, so the thread pool can share
 *   ranges out. Each reads a parameter block laid out as its `*_BLOCK` says: byte addresses,
 *   then flags (0/1), then float32 scalars (as `*Scalars` in ../kernels/optim.ts computes them).
 *
 * Every operation is one IEEE float32 instruction in PyTorch's order (no fused multiply-add),
 * so the results equal the TypeScript kernels' bit for bit.
 */
import { I32, V128, type Code, type FunctionBuilder, type Local, type ModuleBuilder } from './encoder.js';

/** A parameter block: pointer words, then flag words, then float32 words. */
export interface OptimBlock {
  readonly ptrs: readonly string[];
  readonly flags: readonly string[];
  readonly floats: readonly string[];
}

export const SGD_BLOCK = {
  ptrs: ['p', 'g', 'buf'],
  flags: ['maximize', 'hasWd', 'hasMomentum', 'firstStep', 'nesterov'],
  floats: ['wd', 'momentum', 'damp1', 'negLr'],
} as const satisfies OptimBlock;

export const ADAM_BLOCK = {
  ptrs: ['p', 'g', 'm', 'v', 'vmax'],
  flags: ['maximize', 'decay', 'l2', 'amsgrad', 'fromEnd'],
  floats: ['wd', 'decayFactor', 'coef', 'beta2', 'omb2', 'bc2Sqrt', 'eps', 'negStepSize'],
} as const satisfies OptimBlock;

export const RMSPROP_BLOCK = {
  ptrs: ['p', 'g', 'v', 'ga', 'buf'],
  flags: ['maximize', 'hasWd', 'centered', 'hasMomentum', 'fromEnd'],
  floats: ['wd', 'alpha', 'oma', 'coef', 'eps', 'momentum', 'negLr'],
} as const satisfies OptimBlock;

export const ADAGRAD_BLOCK = {
  ptrs: ['p', 'g', 's'],
  flags: ['maximize', 'hasWd'],
  floats: ['wd', 'eps', 'negClr'],
} as const satisfies OptimBlock;

/** Words of a block. */
export function blockWords(b: OptimBlock): number {
  return b.ptrs.length + b.flags.length + b.floats.length;
}

type Names<B extends OptimBlock> = B['ptrs'][number] | B['flags'][number] | B['floats'][number];

/** What a kernel body sees: the block's fields as locals, and loads/stores at the current element. */
class Body<B extends OptimBlock> {
  readonly c: Code;
  /** Pointers and flags (i32), floats (splatted v128). */
  readonly f: Record<Names<B>, Local>;
  /** Byte offset of the current element(s). */
  readonly off: Local;
  tail = false;

  constructor(
    readonly fn: FunctionBuilder,
    block: B,
    params: Local,
  ) {
    this.c = fn.code;
    const f = {} as Record<string, Local>;
    const ints = [...block.ptrs, ...block.flags];
    ints.forEach((name, i) => {
      f[name] = fn.local(I32);
      this.c.get(params).mem('i32.load', 4 * i).set(f[name]);
    });
    block.floats.forEach((name, k) => {
      f[name] = fn.local(V128);
      this.c.get(params).mem('v128.load32_splat', 4 * (ints.length + k)).set(f[name]);
    });
    this.f = f as Record<Names<B>, Local>;
    this.off = fn.local(I32);
  }

  v(): Local {
    return this.fn.local(V128);
  }

  /** Pushes the element(s) at pointer field `ptr`. */
  load(ptr: B['ptrs'][number]): Code {
    this.c.get(this.f[ptr]).get(this.off).op('i32.add');
    return this.c.mem(this.tail ? 'v128.load32_splat' : 'v128.load');
  }

  /** Stores local `v` at pointer field `ptr`. */
  store(ptr: B['ptrs'][number], v: Local): void {
    this.c.get(this.f[ptr]).get(this.off).op('i32.add').get(v);
    if (this.tail) this.c.lane('f32x4.extract_lane', 0).mem('f32.store');
    else this.c.mem('v128.store');
  }

  /** `body()` when flag `flag` is set. */
  when(flag: B['flags'][number], body: () => void, otherwise?: () => void): void {
    this.c.get(this.f[flag]).if();
    body();
    if (otherwise) {
      this.c.else();
      otherwise();
    }
    this.c.end();
  }

  /** An all-ones (flag set) or all-zeros v128 mask from flag `flag`, for `v128.bitselect`. */
  mask(flag: B['flags'][number]): Local {
    const m = this.v();
    this.c.i32(0).get(this.f[flag]).op('i32.sub', 'i32x4.splat').set(m);
    return m;
  }
}

/**
 * Declares `name(tid, params, i0, i1)`: reads the block, runs `setup` (locals, masks), then
 * emits the body it returns twice: over the vector part of [i0, i1) (16 bytes a step) and
 * over the scalar tail (4 bytes a step, `k.tail` set).
 */
function optKernel<B extends OptimBlock>(m: ModuleBuilder, name: string, block: B, setup: (k: Body<B>) => () => void): void {
  const fn = m.func([I32, I32, I32, I32], [], name);
  const [, params, i0, i1] = fn.params as [Local, Local, Local, Local];
  const k = new Body(fn, block, params);
  const body = setup(k);
  const c = fn.code;
  const endv = fn.local(I32);
  const end = fn.local(I32);
  c.get(i0).i32(2).op('i32.shl').set(k.off);
  c.get(i1).i32(2).op('i32.shl').set(end);
  c.get(k.off).get(i1).get(i0).op('i32.sub').i32(~3).op('i32.and').i32(2).op('i32.shl', 'i32.add').set(endv);
  k.tail = false;
  c.while(
    () => c.get(k.off).get(endv).op('i32.lt_u'),
    () => {
      body();
      c.inc(k.off, 16);
    },
  );
  k.tail = true;
  c.while(
    () => c.get(k.off).get(end).op('i32.lt_u'),
    () => {
      body();
      c.inc(k.off, 4);
    },
  );
}

/** g ← ±grad, p ← param, then g ← g + wd·p when flag `l2` (the prelude of SGD, RMSprop, Adagrad; their blocks share these names). */
function gradient<B extends OptimBlock>(k: Body<B>, g: Local, p: Local, l2: B['flags'][number]): void {
  const c = k.c;
  const f = k.f as Record<string, Local>;
  k.load('g' as B['ptrs'][number]).set(g);
  k.when('maximize' as B['flags'][number], () => c.get(g).op('f32x4.neg').set(g));
  k.load('p' as B['ptrs'][number]).set(p);
  k.when(l2, () => c.get(g).get(f['wd']!).get(p).op('f32x4.mul', 'f32x4.add').set(g));
}

function sgdKernel(m: ModuleBuilder): void {
  optKernel(m, 'opt_sgd', SGD_BLOCK, (k) => {
    const [g, p, b] = [k.v(), k.v(), k.v()];
    const { c, f } = k;
    return () => {
      gradient(k, g, p, 'hasWd');
      k.when('hasMomentum', () => {
        k.when(
          'firstStep',
          () => c.get(g).set(b),
          () => {
            k.load('buf').get(f.momentum).op('f32x4.mul').get(f.damp1).get(g).op('f32x4.mul', 'f32x4.add').set(b);
          },
        );
        k.store('buf', b);
        k.when(
          'nesterov',
          () => c.get(g).get(f.momentum).get(b).op('f32x4.mul', 'f32x4.add').set(g),
          () => c.get(b).set(g),
        );
      });
      c.get(p).get(f.negLr).get(g).op('f32x4.mul', 'f32x4.add').set(p);
      k.store('p', p);
    };
  });
}

/** a ← lerp(a0, g, w) as `base + coef·(g − a0)`, base = g (fromEnd) or a0; `a0` is overwritten by the result. */
function lerp(c: Code, a: Local, g: Local, mask: Local, coef: Local, d: Local): void {
  c.get(g).get(a).op('f32x4.sub').set(d);
  c.get(g).get(a).get(mask).op('v128.bitselect').get(coef).get(d).op('f32x4.mul', 'f32x4.add').set(a);
}

function adamKernel(m: ModuleBuilder): void {
  optKernel(m, 'opt_adam', ADAM_BLOCK, (k) => {
    const [g, p, a, d, v, den] = [k.v(), k.v(), k.v(), k.v(), k.v(), k.v()];
    const { c, f } = k;
    const fromEnd = k.mask('fromEnd');
    return () => {
      k.load('g').set(g);
      k.when('maximize', () => c.get(g).op('f32x4.neg').set(g));
      k.load('p').set(p);
      k.when('decay', () => c.get(p).get(f.decayFactor).op('f32x4.mul').set(p));
      k.when('l2', () => c.get(g).get(f.wd).get(p).op('f32x4.mul', 'f32x4.add').set(g));
      k.load('m').set(a);
      lerp(c, a, g, fromEnd, f.coef, d);
      k.store('m', a);
      k.load('v').get(f.beta2).op('f32x4.mul').set(v);
      c.get(v).get(f.omb2).get(g).op('f32x4.mul').get(g).op('f32x4.mul', 'f32x4.add').set(v);
      k.store('v', v);
      k.when('amsgrad', () => {
        k.load('vmax').get(v).op('f32x4.max').set(v);
        k.store('vmax', v);
      });
      c.get(v).op('f32x4.sqrt').get(f.bc2Sqrt).op('f32x4.div').get(f.eps).op('f32x4.add').set(den);
      c.get(p).get(f.negStepSize).get(a).op('f32x4.mul').get(den).op('f32x4.div', 'f32x4.add').set(p);
      k.store('p', p);
    };
  });
}

function rmspropKernel(m: ModuleBuilder): void {
  optKernel(m, 'opt_rmsprop', RMSPROP_BLOCK, (k) => {
    const [g, p, v, a, d, avg, b] = [k.v(), k.v(), k.v(), k.v(), k.v(), k.v(), k.v()];
    const { c, f } = k;
    const fromEnd = k.mask('fromEnd');
    return () => {
      gradient(k, g, p, 'hasWd');
      k.load('v').get(f.alpha).op('f32x4.mul').set(v);
      c.get(v).get(f.oma).get(g).op('f32x4.mul').get(g).op('f32x4.mul', 'f32x4.add').set(v);
      k.store('v', v);
      k.when(
        'centered',
        () => {
          k.load('ga').set(a);
          lerp(c, a, g, fromEnd, f.coef, d);
          k.store('ga', a);
          c.get(v).get(a).get(a).op('f32x4.mul', 'f32x4.sub', 'f32x4.sqrt').set(avg);
        },
        () => c.get(v).op('f32x4.sqrt').set(avg),
      );
      c.get(avg).get(f.eps).op('f32x4.add').set(avg);
      k.when(
        'hasMomentum',
        () => {
          k.load('buf').get(f.momentum).op('f32x4.mul').get(g).get(avg).op('f32x4.div', 'f32x4.add').set(b);
          k.store('buf', b);
          c.get(p).get(f.negLr).get(b).op('f32x4.mul', 'f32x4.add').set(p);
        },
        () => c.get(p).get(f.negLr).get(g).op('f32x4.mul').get(avg).op('f32x4.div', 'f32x4.add').set(p),
      );
      k.store('p', p);
    };
  });
}

function adagradKernel(m: ModuleBuilder): void {
  optKernel(m, 'opt_adagrad', ADAGRAD_BLOCK, (k) => {
    const [g, p, s] = [k.v(), k.v(), k.v()];
    const { c, f } = k;
    return () => {
      gradient(k, g, p, 'hasWd');
      k.load('s').get(g).get(g).op('f32x4.mul', 'f32x4.add').set(s);
      k.store('s', s);
      c.get(p).get(f.negClr).get(g).op('f32x4.mul').get(s).op('f32x4.sqrt').get(f.eps).op('f32x4.add', 'f32x4.div', 'f32x4.add').set(p);
      k.store('p', p);
    };
  });
}

/** Adds the optimizer-update kernels to the module. */
export function optimKernels(m: ModuleBuilder): void {
  sgdKernel(m);
  adamKernel(m);
  rmspropKernel(m);
  adagradKernel(m);
}
