/**
 * The WGSL fused kernels (GRU/LSTM cell steps and their backward, the reset-before GRU's, SRU sequences, embedding
 * bags) against the CPU backend's kernels on identical buffers: strided and transposed views,
 * optional operands absent and present, outputs aliasing inputs (in-place states). Whole
 * buffers are compared afterwards, so a write outside the view fails too.
 */
import '@torchlet/backend-cpu';
import { getBackend, type Backend, type BackendBuffer, type DType, type FusedKernels, type TensorView } from '@torchlet/backend';
import { seededValues } from '@torchlet/backend/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestBackend } from '../testing.js';

const { backend: gpu, reason } = await openTestBackend();
afterAll(() => gpu?.destroy());
const cpu = getBackend('cpu');

const values = (n: number, seed: number, lo = -1.5, hi = 1.5): Float32Array => Float32Array.from(seededValues(n, seed, lo, hi));

interface Pair {
  cpu: BackendBuffer;
  gpu: BackendBuffer;
  dtype: DType;
  size: number;
}

/** Mirrored buffers on both backends, and views over them. */
class Scope {
  readonly pairs: Pair[] = [];

  buffer(data: Float32Array | Int32Array): Pair {
    const dtype: DType = data instanceof Int32Array ? 'int32' : 'float32';
    const p = { cpu: cpu.alloc(dtype, data.length), gpu: gpu!.alloc(dtype, data.length), dtype, size: data.length };
    cpu.write(p.cpu, data);
    gpu!.write(p.gpu, data);
    this.pairs.push(p);
    return p;
  }

  /** A float buffer of random values holding a [rows, cols] view; `layout` picks its strides. */
  mat(rows: number, cols: number, seed: number, layout: 'contiguous' | 'padded' | 'transposed' = 'contiguous'): View {
    if (layout === 'transposed') {
      const p = this.buffer(values(rows * cols + 3, seed));
      return new View(p, [rows, cols], [1, rows], 3);
    }
    const pitch = layout === 'padded' ? cols + 2 : cols;
    const p = this.buffer(values(rows * pitch + 1, seed));
    return new View(p, [rows, cols], [pitch, 1], 1);
  }

  vec(n: number, seed: number): View {
    const p = this.buffer(values(2 * n + 1, seed));
    return new View(p, [n], [2], 1);
  }

  ints(data: number[]): View {
    const p = this.buffer(Int32Array.from(data));
    return new View(p, [data.length], [1], 0);
  }

  free(): void {
    for (const p of this.pairs) {
      cpu.free(p.cpu);
      gpu!.free(p.gpu);
    }
  }

  /** Every buffer's contents on both devices must agree. */
  async compare(label: string): Promise<void> {
    for (const [k, p] of this.pairs.entries()) {
      const a = Array.from(await cpu.read(p.cpu));
      const b = Array.from(await gpu!.read(p.gpu));
      for (let i = 0; i < a.length; i++) {
        const ok = Math.abs(a[i]! - b[i]!) <= 2e-5 + 2e-5 * Math.abs(a[i]!);
        if (!ok) expect.fail(`${label}: buffer ${k} [${i}]: cpu ${a[i]}, webgpu ${b[i]}`);
      }
    }
  }
}

class View {
  constructor(
    readonly pair: Pair,
    readonly shape: number[],
    readonly strides: number[],
    readonly offset: number,
  ) {}

  on(device: 'cpu' | 'gpu'): TensorView {
    return { buffer: this.pair[device], dtype: this.pair.dtype, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  rows(count: number): View {
    return new View(this.pair, [count, this.shape[1]!], this.strides, this.offset);
  }
}

type Args = (View | null | number | boolean | number[] | string)[];

/** Runs `fused[name]` on both backends with the same arguments, then compares every buffer. */
async function both(s: Scope, name: keyof FusedKernels, args: Args, label: string): Promise<void> {
  for (const [b, device] of [
    [cpu, 'cpu'],
    [gpu!, 'gpu'],
  ] as [Backend, 'cpu' | 'gpu'][]) {
    const fn = b.fused[name] as ((...a: unknown[]) => void) | undefined;
    if (!fn) throw new Error(`${b.name} has no fused ${name}`);
    fn.call(b.fused, ...args.map((a) => (a instanceof View ? a.on(device) : a)));
  }
  await s.compare(label);
}

const layouts = ['contiguous', 'padded', 'transposed'] as const;

describe.skipIf(!gpu)(`WGSL fused kernels match the CPU backend${gpu ? '' : ` (skipped: ${reason})`}`, () => {
  it('gruCell and gruCellBackward, with and without bias and workspace, hOut aliasing h', async () => {
    const R = 3;
    const H = 5;
    for (const layout of layouts) {
      for (const bias of [true, false]) {
        const s = new Scope();
        try {
          const gx = s.mat(R, 3 * H, 1, layout);
          const gh = s.mat(R, 3 * H, 2, layout === 'transposed' ? 'padded' : layout);
          const bhh = bias ? s.vec(3 * H, 3) : null;
          const h = s.mat(R, H, 4, layout);
          const out = s.mat(R, H, 5);
          const ws = s.mat(R, 4 * H, 6, 'padded');
          await both(s, 'gruCell', [gx, gh, bhh, h, out, ws], `gruCell ${layout} bias=${bias}`);
          await both(s, 'gruCell', [gx, gh, bhh, h, h, null], `gruCell in place ${layout} bias=${bias}`);
          const dh = s.mat(R, H, 7);
          const dOut = s.mat(R, H, 8, layout);
          const dhRec = s.mat(R - 1, H, 9);
          const dgx = s.mat(R, 3 * H, 10);
          const dgh = s.mat(R, 3 * H, 11, 'padded');
          await both(s, 'gruCellBackward', [dh, dOut, dhRec, ws, out, dgx, dgh], `gruCellBackward ${layout}`);
          await both(s, 'gruCellBackward', [dh, null, null, ws, out, dgx, dgh], `gruCellBackward (no dOut, dhRec) ${layout}`);
        } finally {
          s.free();
        }
      }
    }
  });

  it('the reset-before GRU step: gruResetGate, gruCell with ghn, gruCellBackward(resetAfter false), gruResetGateBackward', async () => {
    const R = 3;
    const H = 5;
    for (const layout of layouts) {
      for (const bias of [true, false]) {
        const s = new Scope();
        try {
          const gx = s.mat(R, 3 * H, 41, layout);
          const gh = s.mat(R, 2 * H, 42, layout === 'transposed' ? 'padded' : layout);
          const bhh = bias ? s.vec(3 * H, 43) : null;
          const bhr = bias ? s.vec(H, 44) : null;
          const h = s.mat(R, H, 45, layout);
          const rh = s.mat(R, H, 46);
          await both(s, 'gruResetGate', [s.mat(R, H, 47, layout), s.mat(R, H, 48), bhr, h, rh], `gruResetGate ${layout} bias=${bias}`);
          const ghn = s.mat(R, H, 49, layout);
          const out = s.mat(R, H, 50);
          const ws = s.mat(R, 4 * H, 51, 'padded');
          await both(s, 'gruCell', [gx, gh, bhh, h, out, ws, ghn], `gruCell ghn ${layout} bias=${bias}`);
          await both(s, 'gruCell', [gx, gh, bhh, h, h, null, ghn], `gruCell ghn in place ${layout} bias=${bias}`);
          const dh = s.mat(R, H, 52);
          const dgx = s.mat(R, 3 * H, 53);
          const dgh = s.mat(R, 3 * H, 54, 'padded');
          await both(s, 'gruCellBackward', [dh, s.mat(R, H, 55, layout), s.mat(R - 1, H, 56), ws, out, dgx, dgh, false], `gruCellBackward resetAfter=false ${layout}`);
          await both(s, 'gruResetGateBackward', [s.mat(R, H, 57, layout), ws, out, s.mat(R, H, 58), s.mat(R, H, 59, 'padded'), dh], `gruResetGateBackward ${layout}`);
        } finally {
          s.free();
        }
      }
    }
  });

  it('lstmCell and lstmCellBackward, c updated in place', async () => {
    const R = 4;
    const H = 3;
    for (const layout of layouts) {
      for (const bias of [true, false]) {
        const s = new Scope();
        try {
          const gx = s.mat(R, 4 * H, 21, layout);
          const gh = s.mat(R, 4 * H, 22);
          const bhh = bias ? s.vec(4 * H, 23) : null;
          const c = s.mat(R, H, 24, layout);
          const h = s.mat(R, H, 25);
          const ws = s.mat(R, 6 * H, 26);
          await both(s, 'lstmCell', [gx, gh, bhh, c, c, h, ws], `lstmCell ${layout} bias=${bias}`);
          await both(s, 'lstmCell', [gx, gh, bhh, c, s.mat(R, H, 27), h, null], `lstmCell (no ws) ${layout}`);
          const dh = s.mat(R, H, 28);
          const dc = s.mat(R, H, 29, layout);
          const dg = s.mat(R, 4 * H, 30);
          await both(s, 'lstmCellBackward', [dh, s.mat(R, H, 31), s.mat(2, H, 32), dc, ws, dg], `lstmCellBackward ${layout}`);
          await both(s, 'lstmCellBackward', [dh, null, null, dc, ws, dg], `lstmCellBackward (no dOut, dhRec) ${layout}`);
        } finally {
          s.free();
        }
      }
    }
  });

  it('sruSequence and its backward over packed steps, both directions, k = 3 and 4', async () => {
    if (!gpu!.fused.sruSequence) return;
    const batchSizes = [3, 3, 2, 1];
    const N = 9;
    const B = 3;
    const H = 4;
    for (const k of [3, 4]) {
      for (const reverse of [false, true]) {
        const s = new Scope();
        try {
          const u = s.mat(N, k * H, 41, 'padded');
          const x = k === 3 ? s.mat(N, H, 42) : null;
          const vc = s.vec(2 * H, 43);
          const b = s.vec(2 * H, 44);
          const c0 = s.mat(B, H, 45);
          const h = s.mat(N, H, 46);
          const cN = s.mat(B, H, 47);
          const ws = s.mat(N, 3 * H, 48);
          const label = `k=${k} reverse=${reverse}`;
          await both(s, 'sruSequence', [u, x, vc, b, c0, batchSizes, reverse, h, cN, ws], `sruSequence ${label}`);
          const du = s.mat(N, k * H, 49);
          const dx = k === 3 ? s.mat(N, H, 50) : null;
          const dvc = s.vec(2 * H, 51);
          const db = s.vec(2 * H, 52);
          const dc0 = s.mat(B, H, 53);
          await both(s, 'sruSequenceBackward', [s.mat(N, H, 54), s.mat(B, H, 55), u, x, vc, ws, batchSizes, reverse, du, dx, dvc, db, dc0], `sruSequenceBackward ${label}`);
          await both(s, 'sruSequenceBackward', [null, null, u, x, vc, ws, batchSizes, reverse, du, dx, dvc, db, dc0], `sruSequenceBackward (no dh, dcN) ${label}`);
        } finally {
          s.free();
        }
      }
    }
  });

  it('embeddingBag and its sparse backward: sum, mean, per-sample weights, padding, empty bags', async () => {
    const N = 7;
    const D = 5;
    const indices = [1, 3, 3, 0, 6, 2, 5, 4, 1];
    const offsets = [0, 2, 2, 5, 8];
    for (const layout of ['contiguous', 'transposed'] as const) {
      for (const mode of ['sum', 'mean'] as const) {
        for (const paddingIdx of [-1, 3]) {
          const s = new Scope();
          try {
            const weight = s.mat(N, D, 61, layout);
            const idx = s.ints(indices);
            const off = s.ints(offsets);
            const psw = mode === 'sum' ? s.vec(indices.length, 62) : null;
            const out = s.mat(offsets.length, D, 63);
            const label = `${mode} padding=${paddingIdx} ${layout}`;
            await both(s, 'embeddingBag', [weight, idx, off, null, mode, paddingIdx, out], `embeddingBag ${label}`);
            if (psw) await both(s, 'embeddingBag', [weight, idx, off, psw, mode, paddingIdx, out], `embeddingBag weighted ${label}`);
            const g = s.mat(offsets.length, D, 64, layout);
            const vals = s.mat(indices.length, D, 65);
            await both(s, 'embeddingBagBackwardSparse', [g, idx, off, null, mode, paddingIdx, vals], `embeddingBagBackwardSparse ${label}`);
            if (psw) await both(s, 'embeddingBagBackwardSparse', [g, idx, off, psw, mode, paddingIdx, vals], `embeddingBagBackwardSparse weighted ${label}`);
          } finally {
            s.free();
          }
        }
      }
    }
  });

  it('softmaxCrossEntropy and its backward: weight, ignored rows, label smoothing, lse gradient, C above the workgroup', async () => {
    const N = 6;
    for (const C of [5, 130]) {
      for (const layout of ['padded', 'transposed'] as const) {
        for (const [weighted, eps] of [
          [false, 0],
          [true, 0],
          [false, 0.2],
          [true, 0.3],
        ] as const) {
          const s = new Scope();
          try {
            const x = s.mat(N, C, 81, layout);
            const t = s.ints([3, -100, 0, C - 1, 2, -100]);
            const w = weighted ? s.vec(C, 82) : null;
            const loss = s.vec(N, 83);
            const lse = s.vec(N, 84);
            const label = `C=${C} ${layout} weight=${weighted} eps=${eps}`;
            await both(s, 'softmaxCrossEntropy', [x, t, w, -100, eps, loss, lse], `softmaxCrossEntropy ${label}`);
            const g = s.vec(N, 85);
            const h = s.vec(N, 86);
            const out = s.mat(N, C, 87, 'padded');
            await both(s, 'softmaxCrossEntropyBackward', [g, null, x, t, w, lse, -100, eps, out], `softmaxCrossEntropyBackward ${label}`);
            await both(s, 'softmaxCrossEntropyBackward', [g, h, x, t, w, lse, -100, eps, out], `softmaxCrossEntropyBackward (lse gradient) ${label}`);
          } finally {
            s.free();
          }
        }
      }
    }
  });

  it('softmaxCrossEntropy reports a target out of range at the next readback', async () => {
    const s = new Scope();
    try {
      const x = s.mat(2, 5, 91);
      const t = s.ints([1, 7]);
      const loss = s.vec(2, 92);
      gpu!.fused.softmaxCrossEntropy!(x.on('gpu'), t.on('gpu'), null, -100, 0, loss.on('gpu'), s.vec(2, 93).on('gpu'));
      await expect(gpu!.read(loss.pair.gpu)).rejects.toThrow('index 7 is out of bounds for dimension with size 5');
    } finally {
      s.free();
    }
  });

  it('a GRU step is one dispatch and binds no buffer twice (no alias copies)', () => {
    const s = new Scope();
    try {
      const R = 2;
      const H = 3;
      const gx = s.mat(R, 3 * H, 71);
      const gh = s.mat(R, 3 * H, 72);
      const h = s.mat(R, H, 73);
      const before = gpu!.stats();
      gpu!.fused.gruCell!(gx.on('gpu'), gh.on('gpu'), null, h.on('gpu'), h.on('gpu'), null);
      const after = gpu!.stats();
      expect(after.dispatches - before.dispatches).toBe(1);
      expect(after.aliasCopies - before.aliasCopies).toBe(0);
    } finally {
      s.free();
    }
  });
});

if (!gpu) it.skip(`WGSL fused kernels: ${reason}`, () => {});
