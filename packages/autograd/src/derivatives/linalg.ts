/**
 * Derivative of `matmul` (ops/linalg.ts) for every operand rank: 1-D operands are treated
 * as a row (first) or column (second) matrix; batch broadcasting is undone by the engine.
 */
import { matmul, mT, reshape, squeeze, unsqueeze, type Tensor } from '@torchlet/tensor';
import { defineDerivatives } from './table.js';

defineDerivatives({
  matmul: {
    save: (needs) => {
      const inputs: number[] = [];
      if (needs[1]) inputs.push(0);
      if (needs[0]) inputs.push(1);
      return { inputs };
    },
    backward: (ctx, [g]) => {
      const aRank = ctx.inputInfo(0).shape.length;
      const bRank = ctx.inputInfo(1).shape.length;
      // The gradient in the matrix form [..., M, N].
      let gm: Tensor = g!;
      if (aRank === 1 && bRank === 1) gm = reshape(g!, [1, 1]);
      else if (aRank === 1) gm = unsqueeze(g!, -2);
      else if (bRank === 1) gm = unsqueeze(g!, -1);
      let ga: Tensor | null = null;
      let gb: Tensor | null = null;
      if (ctx.needsInputGrad(0)) {
        const b = ctx.input(1);
        const bm = bRank === 1 ? unsqueeze(b, 0) : mT(b); // [..., N, K]
        ga = matmul(gm, bm); // [..., M, K]
        if (aRank === 1) ga = squeeze(ga, -2);
      }
      if (ctx.needsInputGrad(1)) {
        const a = ctx.input(0);
        const am = aRank === 1 ? unsqueeze(a, -1) : mT(a); // [..., K, M]
        gb = matmul(am, gm); // [..., K, N]
        if (bRank === 1) gb = squeeze(gb, -1);
      }
      return [ga, gb];
    },
  },
});
