/** `F.cosine_similarity`, `F.pairwise_distance`. */
import { add, clampMin, div, mul, sqrt, sub, sum, tidy, vectorNorm, type Tensor } from '@torchlet/tensor';

/** `F.cosine_similarity(x1, x2, dim=1, eps=1e-8)`: x1·x2 / sqrt(max(‖x1‖²·‖x2‖², eps²)). */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: { dim?: number; eps?: number } = {}): Tensor {
  const dim = options.dim ?? 1;
  const eps = options.eps ?? 1e-8;
  return tidy(() => {
    const w12 = sum(mul(x1, x2), dim);
    const w1 = sum(mul(x1, x1), dim);
    const w2 = sum(mul(x2, x2), dim);
    return div(w12, sqrt(clampMin(mul(w1, w2), eps * eps)));
  });
}

/** `F.pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False)`: ‖x1 − x2 + eps‖_p over the last dim. */
export function pairwiseDistance(x1: Tensor, x2: Tensor, options: { p?: number; eps?: number; keepdim?: boolean } = {}): Tensor {
  return tidy(() => vectorNorm(add(sub(x1, x2), options.eps ?? 1e-6), { ord: options.p ?? 2, dim: -1, keepdim: options.keepdim ?? false }));
}
