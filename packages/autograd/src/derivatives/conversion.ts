/**
 * Derivatives of the conversion ops (ops/conversion.ts) and of `copy_`, the one in-place
 * primitive (ops/copy.ts). Dtype casts back to the input's dtype happen in the engine.
 */
import { toDevice } from '@torchlet/tensor';
import { defineDerivatives } from './table.js';

defineDerivatives({
  cast: { backward: (_ctx, [g]) => [g] },
  clone: { backward: (_ctx, [g]) => [g] },
  alias: { backward: (_ctx, [g]) => [g] },
  toDevice: { backward: (ctx, [g]) => [toDevice(g!, ctx.inputInfo(0).device)] },
  // dst.copy_(src): dst's old values are overwritten (no gradient); src gets the gradient,
  // summed over the broadcast dims and cast to src's dtype by the engine.
  copy_: { name: 'CopyBackwards', backward: (_ctx, [g]) => [null, g] },
});
