/** Derivatives of the copying shape ops (ops/shape-ops.ts, ops/sorting.ts): cat, flip, pad, sort. */
import { flip, narrow, pad, scatterAdd, zeros } from '@torchlet/tensor';
import { defineDerivatives } from './table.js';

defineDerivatives({
  // Each input's gradient is its slice of g along dim.
  cat: {
    backward: (ctx, [g]) => {
      const dim = ctx.attrs.dim as number;
      const out = [];
      let offset = 0;
      for (let i = 0; i < ctx.numInputs; i++) {
        const shape = ctx.inputInfo(i).shape;
        // 1-D empty inputs are skipped by cat (whatever the others' rank).
        if (shape.length !== g!.ndim) {
          out.push(null);
          continue;
        }
        const n = shape[dim]!;
        out.push(ctx.needsInputGrad(i) ? narrow(g!, dim, offset, n) : null);
        offset += n;
      }
      return out;
    },
  },
  flip: { backward: (ctx, [g]) => [flip(g!, ctx.attrs.dims as number[])] },
  // Constant padding: the gradient crops what was added (and zero-pads what was cropped).
  pad: { backward: (ctx, [g]) => [pad(g!, (ctx.attrs.pad as number[]).map((p) => -p))] },
  // The values' gradient goes back to where each value came from.
  sort: {
    save: { outputs: [1] },
    backward: (ctx, [g]) => {
      const info = ctx.inputInfo(0);
      if (info.shape.length === 0) return [g];
      const z = zeros(info.shape, { dtype: g!.dtype, device: g!.device });
      return [scatterAdd(z, ctx.attrs.dim as number, ctx.output(1), g!)];
    },
  },
});
