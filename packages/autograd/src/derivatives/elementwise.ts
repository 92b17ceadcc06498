/**
 * Derivatives of the elementwise ops (ops/elementwise.ts): unary and binary primitives and
 * `where`. Formulas follow PyTorch's derivatives.yaml; broadcasting and dtype are handled by
 * the engine. Each saves only what its formula needs for the inputs that need a gradient.
 */
import {
  add,
  cos,
  cosh,
  div,
  eq,
  erf,
  exp,
  floorDivide,
  gt,
  log,
  logicalAnd,
  lt,
  mul,
  neg,
  pow,
  rsqrt,
  sigmoid,
  sign,
  sin,
  sinh,
  square,
  sub,
  tanh,
  where,
  zerosLike,
  ge,
  type Tensor,
} from '@torchlet/tensor';
import { defineDerivatives, type Derivative } from './table.js';

const SAVE_X = { inputs: [0] } as const;
const SAVE_OUT = { outputs: [0] } as const;

/** A unary derivative `g · f'(x)` from the saved input. */
function fromInput(dfdx: (x: Tensor, g: Tensor) => Tensor): Derivative {
  return { save: SAVE_X, backward: (ctx, [g]) => [dfdx(ctx.input(0), g!)] };
}

/** A unary derivative from the saved output. */
function fromOutput(dfdy: (y: Tensor, g: Tensor) => Tensor): Derivative {
  return { save: SAVE_OUT, backward: (ctx, [g]) => [dfdy(ctx.output(0), g!)] };
}

/** Piecewise-constant ops: the gradient is zero everywhere it exists. */
const ZERO: Derivative = { backward: (_ctx, [g]) => [zerosLike(g!)] };

const SQRT_2_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Which inputs to save for a binary op whose gradient w.r.t. one input needs the other. */
function crossSave(needs: readonly boolean[]): { inputs: number[] } {
  const inputs: number[] = [];
  if (needs[1]) inputs.push(0);
  if (needs[0]) inputs.push(1);
  return { inputs };
}

defineDerivatives({
  // ---- unary ----
  neg: { backward: (_ctx, [g]) => [neg(g!)] },
  abs: fromInput((x, g) => mul(g, sign(x))),
  sign: ZERO,
  floor: ZERO,
  ceil: ZERO,
  round: ZERO,
  trunc: ZERO,
  reciprocal: fromOutput((y, g) => neg(mul(g, square(y)))),
  square: fromInput((x, g) => mul(g, mul(x, 2))),
  exp: fromOutput((y, g) => mul(g, y)),
  expm1: fromOutput((y, g) => mul(g, add(y, 1))),
  log: fromInput((x, g) => div(g, x)),
  log1p: fromInput((x, g) => div(g, add(x, 1))),
  log2: fromInput((x, g) => div(g, mul(x, Math.LN2))),
  sqrt: fromOutput((y, g) => div(g, mul(y, 2))),
  rsqrt: fromOutput((y, g) => mul(g, mul(pow(y, 3), -0.5))),
  sin: fromInput((x, g) => mul(g, cos(x))),
  cos: fromInput((x, g) => mul(g, neg(sin(x)))),
  tan: fromOutput((y, g) => mul(g, add(square(y), 1))),
  asin: fromInput((x, g) => mul(g, rsqrt(sub(1, square(x))))),
  acos: fromInput((x, g) => mul(neg(g), rsqrt(sub(1, square(x))))),
  atan: fromInput((x, g) => div(g, add(square(x), 1))),
  sinh: fromInput((x, g) => mul(g, cosh(x))),
  cosh: fromInput((x, g) => mul(g, sinh(x))),
  tanh: fromOutput((y, g) => mul(g, sub(1, square(y)))),
  asinh: fromInput((x, g) => mul(g, rsqrt(add(square(x), 1)))),
  acosh: fromInput((x, g) => mul(g, rsqrt(sub(square(x), 1)))),
  atanh: fromInput((x, g) => div(g, sub(1, square(x)))),
  sigmoid: fromOutput((y, g) => mul(g, mul(y, sub(1, y)))),
  relu: fromOutput((y, g) => mul(g, gt(y, 0))),
  silu: fromInput((x, g) => {
    const s = sigmoid(x);
    return mul(g, mul(s, add(mul(x, sub(1, s)), 1)));
  }),
  // Φ(x) + x·φ(x)
  gelu: fromInput((x, g) => {
    const cdf = mul(add(erf(mul(x, INV_SQRT_2)), 1), 0.5);
    const pdf = mul(exp(mul(square(x), -0.5)), INV_SQRT_2PI);
    return mul(g, add(cdf, mul(x, pdf)));
  }),
  // PyTorch's tanh-approximation derivative.
  geluTanh: fromInput((x, g) => {
    const kappa = 0.044715;
    const inner = mul(add(x, mul(pow(x, 3), kappa)), SQRT_2_PI);
    const t = tanh(inner);
    const left = mul(x, 0.5);
    const right = add(t, 1);
    const dLeft = mul(right, 0.5);
    const dRight = mul(mul(left, sub(1, square(t))), mul(add(mul(square(x), 3 * kappa), 1), SQRT_2_PI));
    return mul(g, add(dLeft, dRight));
  }),
  erf: fromInput((x, g) => mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI)))),
  softplus: fromInput((x, g) => mul(g, sigmoid(x))),

  // ---- binary ----
  add: { backward: (_ctx, [g]) => [g, g] },
  sub: { backward: (ctx, [g]) => [g, ctx.needsInputGrad(1) ? neg(g!) : null] },
  mul: {
    save: crossSave,
    backward: (ctx, [g]) => [
      ctx.needsInputGrad(0) ? mul(g!, ctx.input(1)) : null,
      ctx.needsInputGrad(1) ? mul(g!, ctx.input(0)) : null,
    ],
  },
  div: {
    save: (needs) => ({ inputs: needs[1] ? [0, 1] : [1] }),
    backward: (ctx, [g]) => {
      const b = ctx.input(1);
      return [
        ctx.needsInputGrad(0) ? div(g!, b) : null,
        ctx.needsInputGrad(1) ? neg(div(mul(g!, ctx.input(0)), square(b))) : null,
      ];
    },
  },
  pow: {
    save: (needs) => ({ inputs: [0, 1], outputs: needs[1] ? [0] : [] }),
    backward: (ctx, [g]) => {
      const a = ctx.input(0);
      const b = ctx.input(1);
      let ga: Tensor | null = null;
      let gb: Tensor | null = null;
      if (ctx.needsInputGrad(0)) {
        // exponent == 0 → 0 (avoids 0 · a^-1 = NaN at a = 0)
        ga = where(eq(b, 0), 0, mul(g!, mul(b, pow(a, sub(b, 1)))));
      }
      if (ctx.needsInputGrad(1)) {
        // a == 0 and b >= 0 → 0 (avoids 0 · log 0)
        const zero = logicalAnd(eq(a, 0), ge(b, 0));
        const safe = where(zero, 1, a);
        gb = mul(g!, where(zero, 0, mul(ctx.output(0), log(safe))));
      }
      return [ga, gb];
    },
  },
  // Ties split the gradient evenly, as PyTorch.
  maximum: {
    save: { inputs: [0, 1] },
    backward: (ctx, [g]) => {
      const a = ctx.input(0);
      const b = ctx.input(1);
      const half = mul(g!, 0.5);
      const tie = eq(a, b);
      return [
        ctx.needsInputGrad(0) ? where(tie, half, where(gt(a, b), g!, 0)) : null,
        ctx.needsInputGrad(1) ? where(tie, half, where(lt(a, b), g!, 0)) : null,
      ];
    },
  },
  minimum: {
    save: { inputs: [0, 1] },
    backward: (ctx, [g]) => {
      const a = ctx.input(0);
      const b = ctx.input(1);
      const half = mul(g!, 0.5);
      const tie = eq(a, b);
      return [
        ctx.needsInputGrad(0) ? where(tie, half, where(lt(a, b), g!, 0)) : null,
        ctx.needsInputGrad(1) ? where(tie, half, where(gt(a, b), g!, 0)) : null,
      ];
    },
  },
  atan2: {
    save: { inputs: [0, 1] },
    backward: (ctx, [g]) => {
      const a = ctx.input(0);
      const b = ctx.input(1);
      const denom = add(square(a), square(b));
      return [
        ctx.needsInputGrad(0) ? mul(g!, div(b, denom)) : null,
        ctx.needsInputGrad(1) ? mul(g!, div(neg(a), denom)) : null,
      ];
    },
  },
  remainder: {
    save: (needs) => ({ inputs: needs[1] ? [0, 1] : [] }),
    backward: (ctx, [g]) => [g, ctx.needsInputGrad(1) ? neg(mul(g!, floorDivide(ctx.input(0), ctx.input(1)))) : null],
  },

  // ---- where(cond, a, b) ----
  where: {
    save: { inputs: [0] },
    backward: (ctx, [g]) => {
      const cond = ctx.input(0);
      return [null, ctx.needsInputGrad(1) ? where(cond, g!, 0) : null, ctx.needsInputGrad(2) ? where(cond, 0, g!) : null];
    },
  },
});

