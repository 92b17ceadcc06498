/**
 * The SRU time loop (Lei et al. 2018, "Simple Recurrent Units for Highly Parallelizable
 * Recurrence") of one layer-direction as ONE registered op, `sruLayer`, with its own backward.
 * All matrix work is outside: the caller computes U = x Wᵀ for every step with one matmul.
 * Per row, with U's blocks x̃, u_f, u_r (and u_h when the input size differs from H):
 *
 *   f_t = σ(u_f + v_f ⊙ c_{t−1} + b_f)
 *   r_t = σ(u_r + v_r ⊙ c_{t−1} + b_r)
 *   c_t = f_t ⊙ c_{t−1} + (1 − f_t) ⊙ x̃_t
 *   h_t = r_t ⊙ c_t + (1 − r_t) ⊙ x'_t        (x' = x when k = 3, else u_h)
 *
 * The loop is one fused kernel call (`backend.fused.sruSequence`) or, without it, the same
 * equations composed from tensor ops step by step.
 *
 * Inputs `[u (N, k·H), x? (N, H) when k = 3, vc (2H), b (2H), c0 (B, H)]`;
 * outputs `[h (N, H), cN (B, H), ws (N, 3H) = [f, r, c_prev]]`.
 */
import { defineDerivatives, noGrad, type BackwardContext } from '@torchlet/autograd';
import { add, allocTensor, copy_, mul, registerOp, sigmoid, sub, sum, viewOf, type Tensor } from '@torchlet/tensor';
import { refuseDoubleBackward, stepOffsets } from './layer-op.js';

export interface SruLayerAttrs {
  readonly batchSizes: readonly number[];
  readonly reverse: boolean;
  /** Columns of u per hidden unit: 3 (highway from x) or 4 (highway from u_h). */
  readonly k: 3 | 4;
  readonly saveForBackward: boolean;
}

function rows(t: Tensor, start: number, count: number): Tensor {
  const c = t.shape[1]!;
  return viewOf(t, [count, c], [t.strides[0]!, t.strides[1]!], t.offset + start * t.strides[0]!);
}

function cols(t: Tensor, start: number, count: number): Tensor {
  return viewOf(t, [t.shape[0]!, count], t.strides, t.offset + start * t.strides[1]!);
}

function vec(t: Tensor, start: number, count: number): Tensor {
  return viewOf(t, [count], t.strides, t.offset + start * t.strides[0]!);
}

function collect(fn: (k: <T extends Tensor>(t: T) => T) => void): void {
  const made: Tensor[] = [];
  try {
    fn((t) => {
      made.push(t);
      return t;
    });
  } finally {
    for (const t of made) t.dispose();
  }
}

function forward(inputs: readonly Tensor[], attrs: SruLayerAttrs): Tensor[] {
  const { batchSizes, reverse, k: K, saveForBackward: save } = attrs;
  const u = inputs[0]!;
  const x = K === 3 ? inputs[1]! : null;
  const o = K === 3 ? 2 : 1;
  const vc = inputs[o]!;
  const b = inputs[o + 1]!;
  const c0 = inputs[o + 2]!;
  const { dtype, device } = u;
  const N = u.shape[0]!;
  const B = c0.shape[0]!;
  const H = c0.shape[1]!;
  const h = allocTensor([N, H], dtype, device);
  const cN = allocTensor([B, H], dtype, device);
  const ws = allocTensor(save ? [N, 3 * H] : [0, 3 * H], dtype, device);
  const fused = u.backend.fused.sruSequence;
  if (fused) {
    fused(u.kernelView, x?.kernelView ?? null, vc.kernelView, b.kernelView, c0.kernelView, batchSizes, reverse, h.kernelView, cN.kernelView, save ? ws.kernelView : null);
    return [h, cN, ws];
  }
  // Composed: the paper's equations per step, on views of the packed rows.
  cN.backend.assign(cN.kernelView, c0.kernelView);
  const offsets = stepOffsets(batchSizes);
  const T = batchSizes.length;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const R = batchSizes[t]!;
    const off = offsets[t]!;
    collect((k) => {
      const cp = k(rows(cN, 0, R));
      const ur = k(rows(u, off, R));
      const xt = k(cols(ur, 0, H));
      const f = k(sigmoid(k(add(k(add(k(cols(ur, H, H)), k(mul(k(vec(vc, 0, H)), cp)))), k(vec(b, 0, H))))));
      const r = k(sigmoid(k(add(k(add(k(cols(ur, 2 * H, H)), k(mul(k(vec(vc, H, H)), cp)))), k(vec(b, H, H))))));
      const c = k(add(xt, k(mul(f, k(sub(cp, xt))))));
      const hw = x ? k(rows(x, off, R)) : k(cols(ur, 3 * H, H));
      const hr = k(add(hw, k(mul(r, k(sub(c, hw))))));
      if (save) {
        const w = k(rows(ws, off, R));
        copy_(k(cols(w, 0, H)), f);
        copy_(k(cols(w, H, H)), r);
        copy_(k(cols(w, 2 * H, H)), cp);
      }
      copy_(k(rows(h, off, R)), hr);
      copy_(cp, c);
    });
  }
  return [h, cN, ws];
}

function backward(ctx: BackwardContext<SruLayerAttrs>, grads: readonly (Tensor | null)[]): (Tensor | null)[] {
  refuseDoubleBackward('sruLayer');
  return noGrad(() => {
    const { batchSizes, reverse, k: K } = ctx.attrs;
    const u = ctx.input(0);
    const x = K === 3 ? ctx.input(1) : null;
    const o = K === 3 ? 2 : 1;
    const vc = ctx.input(o);
    const ws = ctx.output(2);
    const { dtype, device } = u;
    const N = u.shape[0]!;
    const B = ctx.inputInfo(o + 2).shape[0]!;
    const H = ctx.inputInfo(o + 2).shape[1]!;
    const dh = grads[0] ?? null;
    const dcN = grads[1] ?? null;
    const du = allocTensor([N, K * H], dtype, device);
    const dx = x ? allocTensor([N, H], dtype, device) : null;
    const dvc = allocTensor([2 * H], dtype, device);
    const db = allocTensor([2 * H], dtype, device);
    const dc0 = allocTensor([B, H], dtype, device);
    const fused = u.backend.fused.sruSequenceBackward;
    if (fused) {
      fused(dh?.kernelView ?? null, dcN?.kernelView ?? null, u.kernelView, x?.kernelView ?? null, vc.kernelView, ws.kernelView, batchSizes, reverse, du.kernelView, dx?.kernelView ?? null, dvc.kernelView, db.kernelView, dc0.kernelView);
    } else {
      composedBackward(dh, dcN, u, x, vc, ws, batchSizes, reverse, du, dx, dvc, db, dc0);
    }
    const out: (Tensor | null)[] = [du];
    if (x) out.push(dx);
    out.push(dvc, db, dc0);
    return out;
  });
}

function composedBackward(
  dh: Tensor | null,
  dcN: Tensor | null,
  u: Tensor,
  x: Tensor | null,
  vc: Tensor,
  ws: Tensor,
  batchSizes: readonly number[],
  reverse: boolean,
  du: Tensor,
  dx: Tensor | null,
  dvc: Tensor,
  db: Tensor,
  dc0: Tensor,
): void {
  const H = dc0.shape[1]!;
  const be = dc0.backend;
  if (dcN) be.assign(dc0.kernelView, dcN.kernelView);
  else be.fill(dc0.kernelView, 0);
  // Per-row gate gradients, summed over rows at the end for dv and db.
  const N = u.shape[0]!;
  const dPre = allocTensor([N, 2 * H], u.dtype, u.device);
  const cpAll = cols(ws, 2 * H, H);
  const offsets = stepOffsets(batchSizes);
  const T = batchSizes.length;
  try {
    for (let s = T - 1; s >= 0; s--) {
      const t = reverse ? T - 1 - s : s;
      const R = batchSizes[t]!;
      const off = offsets[t]!;
      collect((k) => {
        const w = k(rows(ws, off, R));
        const f = k(cols(w, 0, H));
        const r = k(cols(w, H, H));
        const cp = k(cols(w, 2 * H, H));
        const ur = k(rows(u, off, R));
        const xt = k(cols(ur, 0, H));
        const c = k(add(xt, k(mul(f, k(sub(cp, xt))))));
        const hw = x ? k(rows(x, off, R)) : k(cols(ur, 3 * H, H));
        const g = dh ? k(rows(dh, off, R)) : null;
        const dcs = k(rows(dc0, 0, R));
        const sig = (y: Tensor): Tensor => k(mul(y, k(sub(1, y))));
        const drPre = g ? k(mul(k(mul(g, k(sub(c, hw)))), sig(r))) : null;
        const dct = g ? k(add(dcs, k(mul(g, r)))) : dcs;
        const dfPre = k(mul(k(mul(dct, k(sub(cp, xt)))), sig(f)));
        const dur = k(rows(du, off, R));
        copy_(k(cols(dur, 0, H)), k(mul(dct, k(sub(1, f)))));
        copy_(k(cols(dur, H, H)), dfPre);
        const dpr = k(rows(dPre, off, R));
        copy_(k(cols(dpr, 0, H)), dfPre);
        if (drPre) {
          copy_(k(cols(dur, 2 * H, H)), drPre);
          copy_(k(cols(dpr, H, H)), drPre);
        } else {
          be.fill(k(cols(dur, 2 * H, H)).kernelView, 0);
          be.fill(k(cols(dpr, H, H)).kernelView, 0);
        }
        const dhw = g ? k(mul(g, k(sub(1, r)))) : null;
        const dhwDst = dx ? k(rows(dx, off, R)) : k(cols(dur, 3 * H, H));
        if (dhw) copy_(dhwDst, dhw);
        else be.fill(dhwDst.kernelView, 0);
        let dcp = k(add(k(mul(dct, f)), k(mul(dfPre, k(vec(vc, 0, H))))));
        if (drPre) dcp = k(add(dcp, k(mul(drPre, k(vec(vc, H, H))))));
        copy_(dcs, dcp);
      });
    }
    collect((k) => {
      const cpBoth = k(allocTensor([N, 2 * H], u.dtype, u.device));
      copy_(k(cols(cpBoth, 0, H)), cpAll);
      copy_(k(cols(cpBoth, H, H)), cpAll);
      copy_(dvc, k(sum(k(mul(dPre, cpBoth)), 0)));
      copy_(db, k(sum(dPre, 0)));
    });
  } finally {
    dPre.dispose();
    cpAll.dispose();
  }
}

export const sruLayerOp = registerOp<SruLayerAttrs>({
  name: 'sruLayer',
  kind: 'primitive',
  differentiable: true,
  forward,
});

defineDerivatives({
  sruLayer: {
    name: 'SruLayerBackward0',
    save: (_needs, attrs: SruLayerAttrs) => ({ inputs: attrs.k === 3 ? [0, 1, 2] : [0, 1], outputs: [2] }),
    differentiableOutputs: [true, true, false],
    backward,
  },
});
