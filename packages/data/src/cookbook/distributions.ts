/**
 * Host samplers on a `Generator`'s stream: standard normal (Box–Muller), Gamma
 * (Marsaglia–Tsang) and Beta (two Gammas), for `mixup`'s λ ~ Beta(α, α).
 */
import { ValueError, defaultGenerator, type Generator } from '@torchlet/tensor';

/** One uniform double in (0, 1) (never 0, so logs are finite). */
function uniformOpen(g: Generator): number {
  while (true) {
    const u = g.nextDoubles(1)[0]!;
    if (u > 0) return u;
  }
}

/** One standard normal draw (Box–Muller on two uniforms). */
export function sampleNormal(generator: Generator = defaultGenerator): number {
  const [u1, u2] = generator.nextDoubles(2) as unknown as [number, number];
  const r = Math.sqrt(-2 * Math.log(u1 > 0 ? u1 : Number.MIN_VALUE));
  return r * Math.cos(2 * Math.PI * u2);
}

/**
 * One draw from Gamma(shape, 1) by Marsaglia & Tsang's squeeze method (2000); for
 * shape < 1, `Gamma(shape + 1) · U^(1/shape)`.
 */
export function sampleGamma(shape: number, generator: Generator = defaultGenerator): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new ValueError(`sampleGamma: shape must be positive and finite (got ${shape})`);
  if (shape < 1) {
    const u = uniformOpen(generator);
    return sampleGamma(shape + 1, generator) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  while (true) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(generator);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = uniformOpen(generator);
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** One draw from Beta(a, b) = X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b) (`np.random.beta`). */
export function sampleBeta(a: number, b: number, generator: Generator = defaultGenerator): number {
  if (!(a > 0) || !(b > 0)) throw new ValueError(`sampleBeta: a and b must be positive (got ${a}, ${b})`);
  const x = sampleGamma(a, generator);
  const y = sampleGamma(b, generator);
  const s = x + y;
  // Both tiny (very small a, b): fall back to a Bernoulli(a / (a + b)) endpoint.
  if (s === 0) return generator.nextDoubles(1)[0]! < a / (a + b) ? 1 : 0;
  return x / s;
}
