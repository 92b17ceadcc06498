/**
 * Derivatives of the view ops (ops/views.ts): view, permute, expand, slice, select. Each
 * gradient is an ordinary (non-view) tensor; `expand` relies on the engine's sum-to-shape.
 */
import { permute, reshape, unsqueeze, zeros, type SelectAttrs, type SliceAttrs, type Tensor } from '@torchlet/tensor';
import { padAlong } from './helpers.js';
import { defineDerivatives } from './table.js';

/** The gradient of `x.slice(dim, start, end, step)`: g placed at every step-th position from start. */
export function sliceBackward(g: Tensor, inShape: readonly number[], { dim, start, step }: SliceAttrs): Tensor {
  const size = inShape[dim]!;
  const m = g.shape[dim]!;
  if (m === 0) return zeros(inShape, { dtype: g.dtype, device: g.device });
  let spread = g;
  if (step > 1) {
    // [.., m, ..] → [.., m, step, ..] (zeros after each element) → [.., m·step, ..]
    const u = padAlong(unsqueeze(g, dim + 1), dim + 1, 0, step - 1);
    const shape = [...g.shape];
    shape[dim] = m * step;
    spread = reshape(u, shape);
  }
  return padAlong(spread, dim, start, size - start - spread.shape[dim]!);
}

defineDerivatives({
  view: { backward: (ctx, [g]) => [reshape(g!, ctx.inputInfo(0).shape)] },
  permute: {
    backward: (ctx, [g]) => {
      const dims = ctx.attrs.dims as number[];
      const inverse = new Array<number>(dims.length);
      dims.forEach((d, i) => (inverse[d] = i));
      return [permute(g!, inverse)];
    },
  },
  // The engine sums the gradient back over the expanded dims.
  expand: { backward: (_ctx, [g]) => [g] },
  slice: { backward: (ctx, [g]) => [sliceBackward(g!, ctx.inputInfo(0).shape, ctx.attrs as SliceAttrs)] },
  select: {
    backward: (ctx, [g]) => {
      const { dim, index } = ctx.attrs as SelectAttrs;
      const size = ctx.inputInfo(0).shape[dim]!;
      return [padAlong(unsqueeze(g!, dim), dim, index, size - index - 1)];
    },
  },
});
