/**
 * The per-parameter updates of SGD, Adam/AdamW, RMSprop and Adagrad as in-place ops
 * (`sgdStep_`, `adamStep_`, `rmspropStep_`, `adagradStep_`; PyTorch's `torch.optim._functional`
 * single-tensor updates). Each runs the backend's fused kernel (`sgdStep` … in @torchlet/backend's
 * `FusedKernels`: one pass over the parameter, its gradient and its state) where the backend has
 * one and the tensors qualify (same dtype and shape, contiguous), and otherwise composes tensor
 * ops. Both follow PyTorch's single-tensor update operation by operation (the tensor library's
 * `addcmul`, `addcdiv` and `lerp` round as ATen does), so they agree bit for bit on the CPU.
 *
 * Not differentiable: for optimizer steps under `noGrad`. The parameter and every state tensor
 * are modified in place and their storage versions bumped, so a backward that saved one of them
 * reports the modification.
 */
import type { AdagradStepOptions, AdamStepOptions, RmspropStepOptions, SgdStepOptions } from '@torchlet/backend';
import { add, addcdiv, addcmul, call1, checkWritable, lerp, maximum, mul, neg, registerOp, shapesEqual, sqrt, sub, tidy, type Tensor } from '@torchlet/tensor';

export type { AdagradStepOptions, AdamStepOptions, RmspropStepOptions, SgdStepOptions };

/** Whether the fused kernels can take `p` with these tensors: one dtype, device and shape, all contiguous. */
function fusable(p: Tensor, others: readonly (Tensor | null)[]): boolean {
  if (!p.isContiguous()) return false;
  for (const t of others) {
    if (t === null) continue;
    if (t.dtype !== p.dtype || t.device !== p.device || !shapesEqual(t.shape, p.shape) || !t.isContiguous()) return false;
  }
  return true;
}

/** After a fused kernel: the parameter and its state changed in place. */
function bumpVersions(tensors: readonly (Tensor | null)[]): void {
  for (const t of tensors) if (t !== null) t.storage.version++;
}

/** `start.lerp_(end, weight)` (ATen's two formulas, see `lerp`). */
function lerpInPlace(start: Tensor, end: Tensor, weight: number): void {
  start.copy_(lerp(start, end, weight));
}

/** `self.addcmul_(t, t, value)`. */
function addSquareInPlace(self: Tensor, t: Tensor, value: number): void {
  self.copy_(addcmul(self, t, t, { value }));
}

/** `self.addcdiv_(t1, t2, value)`. */
function addcdivInPlace(self: Tensor, t1: Tensor, t2: Tensor, value: number): void {
  self.copy_(addcdiv(self, t1, t2, { value }));
}

/** ±grad (+ weightDecay·p): the gradient every update starts from. */
function effectiveGrad(p: Tensor, grad: Tensor, weightDecay: number, maximize: boolean): Tensor {
  const g = maximize ? neg(grad) : grad;
  return weightDecay !== 0 ? add(g, p, { alpha: weightDecay }) : g;
}

// ---- SGD --------------------------------------------------------------------------------------

/**
 * `sgdStep_`: inputs `[param, grad]` or `[param, grad, momentumBuffer]` (exactly when momentum is
 * not 0; on `firstStep` it is overwritten with the gradient, PyTorch's clone).
 */
export const sgdStepDef = registerOp<SgdStepOptions>({
  name: 'sgdStep_',
  kind: 'primitive',
  differentiable: false,
  inplace: true,
  forward: (inputs, o) => {
    const [p, grad, buf = null] = inputs as [Tensor, Tensor, Tensor?];
    checkWritable(p, 'sgdStep_');
    const fused = p.backend.fused.sgdStep;
    if (fused && fusable(p, [grad, buf]) && fused(p.kernelView, grad.kernelView, buf?.kernelView ?? null, o)) {
      bumpVersions([p, buf]);
      return p;
    }
    tidy(() => {
      let g = effectiveGrad(p, grad, o.weightDecay, o.maximize);
      if (buf) {
        if (o.firstStep) buf.copy_(g);
        else buf.mul_(o.momentum).add_(g, { alpha: 1 - o.dampening });
        g = o.nesterov ? add(g, buf, { alpha: o.momentum }) : buf;
      }
      p.add_(g, { alpha: -o.lr });
    });
    return p;
  },
});

/** One SGD update of `param` in place (see `sgdStepDef`); returns `param`. */
export function sgdStep_(param: Tensor, grad: Tensor, momentumBuffer: Tensor | null, options: SgdStepOptions): Tensor {
  if ((options.momentum !== 0) !== (momentumBuffer !== null)) throw new TypeError('sgdStep_: a momentum buffer is needed exactly when momentum is not 0');
  return call1(sgdStepDef, momentumBuffer ? [param, grad, momentumBuffer] : [param, grad], options);
}

// ---- Adam / AdamW -----------------------------------------------------------------------------

/** `adamStep_`: inputs `[param, grad, expAvg, expAvgSq]`, plus `maxExpAvgSq` with amsgrad. */
export const adamStepDef = registerOp<AdamStepOptions>({
  name: 'adamStep_',
  kind: 'primitive',
  differentiable: false,
  inplace: true,
  forward: (inputs, o) => {
    const [p, grad, m, v, vmax = null] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor?];
    checkWritable(p, 'adamStep_');
    const fused = p.backend.fused.adamStep;
    if (fused && fusable(p, [grad, m, v, vmax]) && fused(p.kernelView, grad.kernelView, m.kernelView, v.kernelView, vmax?.kernelView ?? null, o)) {
      bumpVersions([p, m, v, vmax]);
      return p;
    }
    tidy(() => {
      let g = o.maximize ? neg(grad) : grad;
      if (o.weightDecay !== 0) {
        if (o.decoupled) p.mul_(1 - o.lr * o.weightDecay);
        else g = add(g, p, { alpha: o.weightDecay });
      }
      lerpInPlace(m, g, 1 - o.beta1);
      v.mul_(o.beta2);
      addSquareInPlace(v, g, 1 - o.beta2);
      let second = v;
      if (vmax) {
        vmax.copy_(maximum(vmax, v));
        second = vmax;
      }
      const denom = sqrt(second).div_(Math.sqrt(o.biasCorrection2)).add_(o.eps);
      addcdivInPlace(p, m, denom, -(o.lr / o.biasCorrection1));
    });
    return p;
  },
});

/** One Adam/AdamW update of `param` in place (see `adamStepDef`); returns `param`. */
export function adamStep_(param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor | null, options: AdamStepOptions): Tensor {
  if (options.amsgrad !== (maxExpAvgSq !== null)) throw new TypeError('adamStep_: maxExpAvgSq is needed exactly when amsgrad is set');
  return call1(adamStepDef, maxExpAvgSq ? [param, grad, expAvg, expAvgSq, maxExpAvgSq] : [param, grad, expAvg, expAvgSq], options);
}

// ---- RMSprop ----------------------------------------------------------------------------------

/** `rmspropStep_`: inputs `[param, grad, squareAvg]`, then `gradAvg` (centered), then `momentumBuffer` (momentum > 0). */
export const rmspropStepDef = registerOp<RmspropStepOptions>({
  name: 'rmspropStep_',
  kind: 'primitive',
  differentiable: false,
  inplace: true,
  forward: (inputs, o) => {
    const [p, grad, v] = inputs as [Tensor, Tensor, Tensor];
    const ga = o.centered ? inputs[3]! : null;
    const buf = o.momentum > 0 ? inputs[o.centered ? 4 : 3]! : null;
    checkWritable(p, 'rmspropStep_');
    const fused = p.backend.fused.rmspropStep;
    if (fused && fusable(p, [grad, v, ga, buf]) && fused(p.kernelView, grad.kernelView, v.kernelView, ga?.kernelView ?? null, buf?.kernelView ?? null, o)) {
      bumpVersions([p, v, ga, buf]);
      return p;
    }
    tidy(() => {
      const g = effectiveGrad(p, grad, o.weightDecay, o.maximize);
      v.mul_(o.alpha);
      addSquareInPlace(v, g, 1 - o.alpha);
      let avg: Tensor;
      if (ga) {
        lerpInPlace(ga, g, 1 - o.alpha);
        avg = sub(v, mul(ga, ga)).sqrt_();
      } else avg = sqrt(v);
      avg.add_(o.eps);
      if (buf) {
        buf.mul_(o.momentum);
        addcdivInPlace(buf, g, avg, 1);
        p.add_(buf, { alpha: -o.lr });
      } else addcdivInPlace(p, g, avg, -o.lr);
    });
    return p;
  },
});

/** One RMSprop update of `param` in place (see `rmspropStepDef`); returns `param`. */
export function rmspropStep_(
  param: Tensor,
  grad: Tensor,
  squareAvg: Tensor,
  gradAvg: Tensor | null,
  momentumBuffer: Tensor | null,
  options: RmspropStepOptions,
): Tensor {
  if (options.centered !== (gradAvg !== null)) throw new TypeError('rmspropStep_: gradAvg is needed exactly when centered is set');
  if (options.momentum > 0 !== (momentumBuffer !== null)) throw new TypeError('rmspropStep_: a momentum buffer is needed exactly when momentum > 0');
  const inputs = [param, grad, squareAvg];
  if (gradAvg) inputs.push(gradAvg);
  if (momentumBuffer) inputs.push(momentumBuffer);
  return call1(rmspropStepDef, inputs, options);
}

// ---- Adagrad ----------------------------------------------------------------------------------

/** `adagradStep_`: inputs `[param, grad, sum]` (dense gradient; row-sparse ones go to `adagradSparseUpdate`). */
export const adagradStepDef = registerOp<AdagradStepOptions>({
  name: 'adagradStep_',
  kind: 'primitive',
  differentiable: false,
  inplace: true,
  forward: (inputs, o) => {
    const [p, grad, sum] = inputs as [Tensor, Tensor, Tensor];
    checkWritable(p, 'adagradStep_');
    const fused = p.backend.fused.adagradStep;
    if (fused && fusable(p, [grad, sum]) && fused(p.kernelView, grad.kernelView, sum.kernelView, o)) {
      bumpVersions([p, sum]);
      return p;
    }
    tidy(() => {
      const g = effectiveGrad(p, grad, o.weightDecay, o.maximize);
      addSquareInPlace(sum, g, 1);
      addcdivInPlace(p, g, sqrt(sum).add_(o.eps), -o.clr);
    });
    return p;
  },
});

/** One Adagrad update of `param` in place (see `adagradStepDef`); returns `param`. */
export function adagradStep_(param: Tensor, grad: Tensor, sum: Tensor, options: AdagradStepOptions): Tensor {
  return call1(adagradStepDef, [param, grad, sum], options);
}
