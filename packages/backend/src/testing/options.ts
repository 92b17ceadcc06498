/** The conformance suite's options (kept apart from context.ts, so their declarations need no vitest). */
import type { DType } from '../dtype.js';

/** Tolerances for one floating dtype. */
export interface FloatTolerance {
  /** Relative tolerance for exact-ish arithmetic (add, mul, sums, matmul …). */
  rtol: number;
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance for transcendental unary ops (exp, erf, gelu …) and fused kernels. */
  transcendentalRtol: number;
}

export interface ConformanceTolerances {
  float16?: Partial<FloatTolerance>;
  float32?: Partial<FloatTolerance>;
  float64?: Partial<FloatTolerance>;
  /** Relative tolerance of `random('normal')` against `philoxFill` (default 1e-5). */
  normalRtol?: number;
}

export interface ConformanceOptions {
  /** dtypes whose cases are skipped even when the backend lists them in `dtypes`. */
  skipDTypes?: DType[];
  /** Overrides of the default tolerances (float32: rtol 1e-5, atol 1e-6, transcendental rtol 1e-4). */
  tolerance?: ConformanceTolerances;
}
