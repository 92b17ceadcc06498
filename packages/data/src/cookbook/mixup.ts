/** mixup (Zhang et al., 2018), the Cookbook's recipe, with λ drawn on a `Generator`. */
import { ValueError, alias, defaultGenerator, indexSelect, randperm, type Generator, type Tensor } from '@torchlet/tensor';
import { sampleBeta } from './distributions.js';

/** What `mixup` returns; the loss is `λ · loss(out, yA) + (1 − λ) · loss(out, yB)`. */
export interface MixupResult {
  /** `λ · x + (1 − λ) · x[perm]`. */
  mixedX: Tensor;
  /** The original targets (a new handle on `y`). */
  yA: Tensor;
  /** The targets of the mixed-in samples, `y[perm]`. */
  yB: Tensor;
  /** λ ~ Beta(α, α) (1 when α ≤ 0). */
  lambda: number;
  /** The batch permutation (int32), in case other tensors must be mixed the same way. */
  index: Tensor;
}

/**
 * mixup: blends each sample of the batch with another one of the same batch.
 *
 * ```ts
 * const { mixedX, yA, yB, lambda } = mixup(x, y, 0.2, { generator });
 * const out = model.forward(mixedX);
 * // the mixed loss: λ · loss(out, yA) + (1 − λ) · loss(out, yB)
 * const loss = crossEntropy(out, yA).mul(lambda).add(crossEntropy(out, yB).mul(1 - lambda));
 * ```
 *
 * The caller owns every tensor returned (dispose `index` if unused).
 */
export function mixup(x: Tensor, y: Tensor, alpha: number, options: { generator?: Generator } = {}): MixupResult {
  if (typeof alpha !== 'number' || Number.isNaN(alpha)) throw new ValueError(`mixup: alpha must be a number (got ${String(alpha)})`);
  if (x.ndim === 0 || y.ndim === 0) throw new ValueError('mixup: x and y need a batch dimension');
  const n = x.shape[0]!;
  if (y.shape[0] !== n) throw new ValueError(`mixup: x and y must have the same batch size (got ${n} and ${y.shape[0]})`);
  if (x.device !== y.device) throw new ValueError(`mixup: x and y must be on the same device (got '${x.device}' and '${y.device}')`);
  const generator = options.generator ?? defaultGenerator;
  const lambda = alpha > 0 ? sampleBeta(alpha, alpha, generator) : 1;
  const index = randperm(n, { generator, device: x.device });
  const shuffled = indexSelect(x, 0, index);
  let a: Tensor | undefined;
  let b: Tensor | undefined;
  try {
    a = x.mul(lambda);
    b = shuffled.mul(1 - lambda);
    const mixedX = a.add(b);
    return { mixedX, yA: alias(y), yB: indexSelect(y, 0, index), lambda, index };
  } catch (err) {
    index.dispose();
    throw err;
  } finally {
    shuffled.dispose();
    a?.dispose();
    b?.dispose();
  }
}
