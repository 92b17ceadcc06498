/**
 * Double-precision erf, written for Torchlet (Abramowitz–Stegun style fits are only good
 * to ~1e-7, too coarse for float64 gelu and gradcheck).
 *
 * - |x| < 2.5: erf(x) = 2/√π · e^{-x²} · Σ_{n≥0} 2^n x^{2n+1} / (1·3·…·(2n+1)).
 *   Every term is positive, so there is no cancellation (unlike the alternating Taylor series).
 * - |x| ≥ 2.5: erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), the Laplace
 *   continued fraction evaluated backwards; erf = 1 − erfc.
 * - |x| ≥ 6: erf = ±1 to double precision.
 */
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;

export function erf(x: number): number {
  if (x !== x) return x;
  const ax = x < 0 ? -x : x;
  if (ax >= 6) return x < 0 ? -1 : 1;
  if (ax < 2.5) {
    if (ax < 1e-10) return TWO_OVER_SQRT_PI * x;
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 80; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  const c = erfcLarge(ax);
  return x < 0 ? c - 1 : 1 - c;
}

/** erfc for x ≥ 2.5 via the continued fraction (60 terms reach full precision at 2.5). */
function erfcLarge(x: number): number {
  let f = x;
  for (let n = 60; n >= 1; n--) f = x + n / 2 / f;
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}
