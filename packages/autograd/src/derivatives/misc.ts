/** Derivative of clamp (ops/math-misc.ts), PyTorch's clamp_backward_min_max. */
import { ge, gt, le, logicalAnd, logicalOr, lt, where, type Tensor } from '@torchlet/tensor';
import { defineDerivatives } from './table.js';

defineDerivatives({
  clamp: {
    save: (needs) => ({ inputs: needs.map((_, i) => i) }),
    backward: (ctx, [g]) => {
      const { hasMin, hasMax } = ctx.attrs as { hasMin: boolean; hasMax: boolean };
      const x = ctx.input(0);
      const lo = hasMin ? ctx.input(1) : null;
      const hi = hasMax ? ctx.input(hasMin ? 2 : 1) : null;
      let gx: Tensor | null = null;
      let glo: Tensor | null = null;
      let ghi: Tensor | null = null;
      if (lo && hi) {
        if (ctx.needsInputGrad(0)) gx = where(logicalAnd(ge(x, lo), le(x, hi)), g!, 0);
        if (ctx.needsInputGrad(1)) glo = where(logicalAnd(lt(x, lo), lt(lo, hi)), g!, 0);
        if (ctx.needsInputGrad(2)) ghi = where(logicalOr(gt(x, hi), lt(hi, lo)), g!, 0);
        return [gx, glo, ghi];
      }
      if (lo) {
        return [ctx.needsInputGrad(0) ? where(ge(x, lo), g!, 0) : null, ctx.needsInputGrad(1) ? where(lt(x, lo), g!, 0) : null];
      }
      return [ctx.needsInputGrad(0) ? where(le(x, hi!), g!, 0) : null, ctx.needsInputGrad(1) ? where(gt(x, hi!), g!, 0) : null];
    },
  },
});
