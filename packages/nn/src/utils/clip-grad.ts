/** `nn.utils.clip_grad_norm_`, `nn.utils.clip_grad_value_`. */
import { RowSparseTensor, noGrad } from '@torchlet/autograd';
import {
  RuntimeError,
  Tensor,
  ValueError,
  abs,
  add,
  amax,
  clamp,
  clamp_,
  div,
  mul_,
  stack,
  tensor,
  tidy,
  vectorNorm,
} from '@torchlet/tensor';

/** A tensor or an iterable of tensors (`model.parameters()`). */
export type ParamsLike = Tensor | Iterable<Tensor>;

function toList(params: ParamsLike): Tensor[] {
  return params instanceof Tensor ? [params] : [...params];
}

/** Options of `clipGradNorm_`. */
export interface ClipGradNormOptions {
  /** Order of the norm (default 2; `Infinity` for the max norm). */
  normType?: number;
  /** Throw when the total norm is NaN or infinite (default false). */
  errorIfNonfinite?: boolean;
}

/**
 * `clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False)`: scales
 * every gradient in place by min(1, max_norm / (total_norm + 1e-6)), where total_norm is the
 * norm of all gradients together. Returns the total norm (a 0-d tensor you own).
 */
export function clipGradNorm_(parameters: ParamsLike, maxNorm: number, options: ClipGradNormOptions = {}): Tensor {
  const normType = options.normType ?? 2;
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new ValueError(`clip_grad_norm_: max_norm must be a number (got ${String(maxNorm)})`);
  const grads = toList(parameters)
    .map((p) => p.grad)
    .filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return tensor(0);
  return noGrad(() =>
    tidy(() => {
      // A row-sparse gradient's norm is its coalesced rows' norm; scaling its rows scales it.
      const dense = grads.map((g) => (g instanceof RowSparseTensor ? g.coalesce().values : g));
      let total: Tensor;
      if (normType === Infinity) {
        const norms = dense.map((g) => amax(abs(g)));
        total = norms.length === 1 ? norms[0]! : amax(stack(norms));
      } else {
        const norms = dense.map((g) => vectorNorm(g, { ord: normType }));
        total = vectorNorm(stack(norms), { ord: normType });
      }
      if (options.errorIfNonfinite) {
        const v = total.item();
        if (!Number.isFinite(v)) {
          const order = Number.isInteger(normType) ? `${normType}.0` : String(normType);
          throw new RuntimeError(
            `The total norm of order ${normType === Infinity ? 'inf' : order} for gradients from \`parameters\` is non-finite, so it cannot be clipped. ` +
              'To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`',
          );
        }
      }
      const coef = clamp(div(maxNorm, add(total, 1e-6)), { max: 1 });
      for (const g of grads) {
        const c = coef.dtype === g.dtype ? coef : coef.to(g.dtype);
        if (g instanceof RowSparseTensor) g.mul_(c);
        else mul_(g, c);
      }
      return total;
    }),
  );
}

/** `clip_grad_value_(parameters, clip_value)`: clamps every gradient to [−clip_value, clip_value] in place. */
export function clipGradValue_(parameters: ParamsLike, clipValue: number): void {
  const v = Math.abs(clipValue);
  noGrad(() => {
    for (const p of toList(parameters)) {
      const g = p.grad;
      if (!g) continue;
      if (g instanceof RowSparseTensor) {
        // Clamp the summed rows: coalesce first, as the dense value is what gets clamped.
        const c = g.coalesce();
        clamp_(c.values, -v, v);
        p.grad = c;
        g.dispose();
      } else clamp_(g, -v, v);
    }
  });
}
