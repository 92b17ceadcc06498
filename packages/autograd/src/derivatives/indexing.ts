/**
 * Derivatives of the indexing ops (ops/indexing.ts): gather, indexSelect, scatter,
 * scatterAdd, indexAdd. Index inputs get no gradient.
 */
import { gather, indexAdd, indexSelect, mul, scatter, scatterAdd, zeros } from '@torchlet/tensor';
import { defineDerivatives } from './table.js';

defineDerivatives({
  gather: {
    save: { inputs: [1] },
    backward: (ctx, [g]) => {
      const info = ctx.inputInfo(0);
      const z = zeros(info.shape, { dtype: g!.dtype, device: g!.device });
      return [scatterAdd(z, ctx.attrs.dim, ctx.input(1), g!), null];
    },
  },
  indexSelect: {
    save: { inputs: [1] },
    backward: (ctx, [g]) => {
      const info = ctx.inputInfo(0);
      const z = zeros(info.shape, { dtype: g!.dtype, device: g!.device });
      return [indexAdd(z, ctx.attrs.dim, ctx.input(1), g!), null];
    },
  },
  // Overwritten positions of x get no gradient; src gets the gradient of where it landed.
  scatter: {
    save: { inputs: [1] },
    backward: (ctx, [g]) => {
      const index = ctx.input(1);
      const dim = ctx.attrs.dim as number;
      return [
        ctx.needsInputGrad(0) ? scatter(g!, dim, index, 0) : null,
        null,
        ctx.needsInputGrad(2) ? gather(g!, dim, index) : null,
      ];
    },
  },
  scatterAdd: {
    save: { inputs: [1] },
    backward: (ctx, [g]) => [g, null, ctx.needsInputGrad(2) ? gather(g!, ctx.attrs.dim as number, ctx.input(1)) : null],
  },
  indexAdd: {
    save: { inputs: [1] },
    backward: (ctx, [g]) => {
      const { dim, alpha } = ctx.attrs as { dim: number; alpha: number };
      if (!ctx.needsInputGrad(2)) return [g, null, null];
      const srcInfo = ctx.inputInfo(2);
      let gs = indexSelect(g!, dim, ctx.input(1));
      if (srcInfo.shape.length === 0) gs = gs.reshape([]);
      return [g, null, alpha === 1 ? gs : mul(gs, alpha)];
    },
  },
});
