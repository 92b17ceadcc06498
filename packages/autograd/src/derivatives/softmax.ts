/** Derivatives of softmax and logSoftmax (ops/softmax.ts), from the saved output. */
import { exp, mul, sub, sum } from '@torchlet/tensor';
import { defineDerivatives } from './table.js';

defineDerivatives({
  // y ⊙ (g − Σ g⊙y)
  softmax: {
    save: { outputs: [0] },
    backward: (ctx, [g]) => {
      const y = ctx.output(0);
      if (y.ndim === 0) return [mul(g!, 0)];
      const dim = ctx.attrs.dim as number;
      return [mul(y, sub(g!, sum(mul(g!, y), { dim, keepdim: true })))];
    },
  },
  // g − exp(y) ⊙ Σ g
  logSoftmax: {
    save: { outputs: [0] },
    backward: (ctx, [g]) => {
      const y = ctx.output(0);
      if (y.ndim === 0) return [mul(g!, 0)];
      const dim = ctx.attrs.dim as number;
      return [sub(g!, mul(exp(y), sum(g!, { dim, keepdim: true })))];
    },
  },
});
