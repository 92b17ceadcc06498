/**
 * `torch.logaddexp(a, b)` = log(exp(a) + exp(b)), written as a custom autograd Function:
 * the forward is the stable max(a, b) + log1p(exp(-|a - b|)), and the backward is the exact
 * sigmoid(a - b) / sigmoid(b - a) split — finite for any inputs, including a = b = ±inf
 * and huge magnitudes where exp would overflow.
 */
import { abs, add, exp, isinf, log1p, logicalAnd, maximum, mul, neg, sigmoid, sub, where, eq, type Tensor } from '@torchlet/tensor';
import { Function, type FunctionCtx } from '../function.js';

export class LogAddExp extends Function {
  static override forward(ctx: FunctionCtx, a: Tensor, b: Tensor): Tensor {
    const m = maximum(a, b);
    const d = sub(a, b);
    const ad = abs(d);
    const nd = neg(ad);
    const e = exp(nd);
    const l = log1p(e);
    // a = b = ±inf: a - b is NaN; the result is that infinity.
    const same = logicalAnd(isinf(a), eq(a, b));
    const sum = add(m, l);
    const out = where(same, a, sum);
    // Inputs (not the intermediate d) are saved, so the backward is differentiable again.
    ctx.saveForBackward(a, b);
    for (const t of [m, d, ad, nd, e, l, same, sum]) t.dispose();
    return out;
  }

  static override backward(ctx: FunctionCtx, g: Tensor | null): (Tensor | null)[] {
    const [a, b] = ctx.savedTensors;
    const d = sub(a!, b!);
    // NaN differences (equal infinities) split the gradient evenly.
    const s = sigmoid(d);
    const sa = where(isNaN_(d), 0.5, s);
    const sb = sub(1, sa);
    const ga = ctx.needsInputGrad[0] ? mul(g!, sa) : null;
    const gb = ctx.needsInputGrad[1] ? mul(g!, sb) : null;
    for (const t of [d, s, sa, sb]) t.dispose();
    return [ga, gb];
  }
}

function isNaN_(t: Tensor): Tensor {
  return t.isnan();
}

/** `torch.logaddexp(a, b)`: log(exp(a) + exp(b)) without overflow, with broadcasting. */
export function logaddexp(a: Tensor, b: Tensor): Tensor {
  return LogAddExp.apply(a, b);
}
