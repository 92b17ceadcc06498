/**
 * Derivatives of the reductions and scans (ops/reduce.ts): sum, prod, amax/amin,
 * max/min along a dim, logsumexp, cumsum/cumprod, cummax/cummin, norm. (mean, var and std
 * are composites, differentiated through their parts.)
 */
import {
  abs,
  cumprod,
  cumsum,
  div,
  eq,
  exp,
  flip,
  logicalAnd,
  mul,
  ne,
  pow,
  prod,
  scatterAdd,
  sign,
  sub,
  sum,
  where,
  zeros,
  type Tensor,
} from '@torchlet/tensor';
import { keepDim, keepDims, unreduce } from './helpers.js';
import { defineDerivatives, type Derivative } from './table.js';

interface ReduceAttrs {
  dims: number[];
  keepdim: boolean;
}

/** Gradient of amax/amin: split evenly among the elements equal to the extreme. */
const extremum: Derivative<ReduceAttrs> = {
  save: { inputs: [0], outputs: [0] },
  backward: (ctx, [g]) => {
    const { dims, keepdim } = ctx.attrs;
    const shape = ctx.inputInfo(0).shape;
    const x = ctx.input(0);
    const mask = eq(x, keepDims(ctx.output(0), shape, dims, keepdim));
    const count = sum(mask, { dim: dims, keepdim: true });
    return [div(mul(unreduce(g!, shape, dims, keepdim), mask), count)];
  },
};

/** Gradient of a values-and-indices op: the value gradient goes to the selected index. */
function selectedIndex(reducing: boolean): Derivative<{ dim: number; keepdim?: boolean }> {
  return {
    save: { outputs: [1] },
    backward: (ctx, [g]) => {
      const info = ctx.inputInfo(0);
      if (info.shape.length === 0) return [g];
      const { dim } = ctx.attrs;
      const keepdim = reducing ? (ctx.attrs.keepdim ?? false) : true;
      const idx = keepDim(ctx.output(1), dim, keepdim, info.shape.length);
      const gk = keepDim(g!, dim, keepdim, info.shape.length);
      return [scatterAdd(zeros(info.shape, { dtype: g!.dtype, device: g!.device }), dim, idx, gk)];
    },
  };
}

/** Σ_{j ≥ i} g_j along `dim`. */
function reverseCumsum(g: Tensor, dim: number): Tensor {
  return flip(cumsum(flip(g, [dim]), dim), [dim]);
}

defineDerivatives({
  sum: {
    backward: (ctx, [g]) => {
      const { dims, keepdim } = ctx.attrs as ReduceAttrs;
      return [unreduce(g!, ctx.inputInfo(0).shape, dims, keepdim)];
    },
  },
  // ∂/∂x_i Πx = Π_{j≠i} x_j, computed without dividing by zero: where x_i = 0 it is the
  // product of the others when x_i is the only zero of its slice, else 0.
  prod: {
    save: { inputs: [0], outputs: [0] },
    backward: (ctx, [g]) => {
      const { dims, keepdim } = ctx.attrs as ReduceAttrs;
      const shape = ctx.inputInfo(0).shape;
      const x = ctx.input(0);
      const isZero = eq(x, 0);
      const safe = where(isZero, 1, x);
      const out = keepDims(ctx.output(0), shape, dims, keepdim);
      const zerosPerSlice = sum(isZero, { dim: dims, keepdim: true });
      const prodNonZero = prod(safe, { dim: dims, keepdim: true });
      const others = where(isZero, where(eq(zerosPerSlice, 1), prodNonZero, 0), div(out, safe));
      return [mul(unreduce(g!, shape, dims, keepdim), others)];
    },
  },
  amax: extremum,
  amin: extremum,
  maxDim: selectedIndex(true),
  minDim: selectedIndex(true),
  cummax: selectedIndex(false),
  cummin: selectedIndex(false),
  logsumexp: {
    save: { inputs: [0], outputs: [0] },
    backward: (ctx, [g]) => {
      const { dims, keepdim } = ctx.attrs as ReduceAttrs;
      const shape = ctx.inputInfo(0).shape;
      const out = keepDims(ctx.output(0), shape, dims, keepdim);
      return [mul(unreduce(g!, shape, dims, keepdim), exp(sub(ctx.input(0), out)))];
    },
  },
  cumsum: {
    backward: (ctx, [g]) => {
      if (ctx.inputInfo(0).shape.length === 0) return [g];
      return [reverseCumsum(g!, ctx.attrs.dim as number)];
    },
  },
  // ∂/∂x_i of y_j = Π_{m ≤ j} x_m, zero-safe per slice: before the first zero it is
  // Σ_{j ≥ i} g_j·y_j / x_i; at the first zero, Σ_{j ≥ i} g_j·z_j with z the cumprod that
  // skips that zero; after it, 0.
  cumprod: {
    save: { inputs: [0], outputs: [0] },
    backward: (ctx, [g]) => {
      if (ctx.inputInfo(0).shape.length === 0) return [g];
      const dim = ctx.attrs.dim as number;
      const x = ctx.input(0);
      const isZero = eq(x, 0);
      const zerosSoFar = cumsum(isZero, dim);
      const before = eq(zerosSoFar, 0);
      const first = logicalAnd(isZero, eq(zerosSoFar, 1));
      const plain = div(reverseCumsum(mul(g!, ctx.output(0)), dim), where(before, x, 1));
      const skipped = cumprod(where(first, 1, x), dim);
      const atFirst = reverseCumsum(mul(g!, skipped), dim);
      return [where(before, plain, where(first, atFirst, 0))];
    },
  },
  // ‖x‖_p: PyTorch's formulas, with the 0/0 at a zero norm masked to 0.
  norm: {
    save: { inputs: [0], outputs: [0] },
    backward: (ctx, [g]) => {
      const { p, dims, keepdim } = ctx.attrs as ReduceAttrs & { p: number };
      const shape = ctx.inputInfo(0).shape;
      const x = ctx.input(0);
      const gu = unreduce(g!, shape, dims, keepdim);
      if (p === 0) return [mul(gu, 0)];
      if (p === 1) return [mul(gu, sign(x))];
      const out = keepDims(ctx.output(0), shape, dims, keepdim);
      if (p === Infinity || p === -Infinity) {
        const mask = eq(abs(x), out);
        const count = sum(mask, { dim: dims, keepdim: true });
        return [div(mul(mul(gu, sign(x)), mask), count)];
      }
      const nonzero = ne(out, 0);
      const safeOut = where(nonzero, out, 1);
      let scale: Tensor;
      if (p === 2) scale = div(x, safeOut);
      else scale = div(mul(sign(x), pow(abs(x), p - 1)), pow(safeOut, p - 1));
      return [mul(gu, where(nonzero, scale, 0))];
    },
  },
});
