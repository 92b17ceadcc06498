import { beforeAll, expect, it, type TestContext } from 'vitest';
import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { BufferScope } from './helpers.js';

/** Tolerances for one floating dtype. */
export interface FloatTolerance {
  /** Relative tolerance for exact-ish arithmetic (add, mul, sums, matmul …). */
  rtol: number;
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance for transcendental unary ops (exp, erf, gelu …) and fused kernels. */
  transcendentalRtol: number;
}

/** Tolerance overrides per float dtype (unset fields keep the defaults). */
export interface ConformanceTolerances {
  /** float16's. */
  float16?: Partial<FloatTolerance>;
  /** float32's. */
  float32?: Partial<FloatTolerance>;
  /** float64's. */
  float64?: Partial<FloatTolerance>;
  /** Relative tolerance of `random('normal')` against `philoxFill` (default 1e-5). */
  normalRtol?: number;
}

/** Options of `runConformanceSuite`. */
export interface ConformanceOptions {
  /** dtypes whose cases are skipped even when the backend lists them in `dtypes`. */
  skipDTypes?: DType[];
  /** Overrides of the default tolerances (float32: rtol 1e-5, atol 1e-6, transcendental rtol 1e-4). */
  tolerance?: ConformanceTolerances;
}

const DEFAULT_TOLERANCE: Record<'float16' | 'float32' | 'float64', FloatTolerance> = {
  float16: { rtol: 2e-3, atol: 1e-3, transcendentalRtol: 5e-3 },
  float32: { rtol: 1e-5, atol: 1e-6, transcendentalRtol: 1e-4 },
  float64: { rtol: 1e-10, atol: 1e-12, transcendentalRtol: 1e-10 },
};

/** `{ rtol, atol }` to use for `dtype` (zero for int32/bool). */
export interface Tol {
  rtol: number;
  atol: number;
}

export type TestBody = (scope: BufferScope, backend: Backend, tc: TestContext) => Promise<void> | void;

/**
 * What every suite file receives: the backend (resolved once, before the tests run), the
 * options, and `test`, which wraps `it` with dtype skipping and the leak check.
 */
export class SuiteContext {
  #backend: Backend | undefined;
  readonly skipped: ReadonlySet<DType>;

  constructor(
    readonly name: string,
    getBackend: () => Backend | Promise<Backend>,
    readonly options: ConformanceOptions,
  ) {
    this.skipped = new Set(options.skipDTypes ?? []);
    beforeAll(async () => {
      this.#backend = await getBackend();
    });
  }

  get backend(): Backend {
    if (!this.#backend) throw new Error(`conformance(${this.name}): the backend is not available (getBackend failed or has not run)`);
    return this.#backend;
  }

  /** Tolerance for comparing values of `dtype`; `transcendental` selects the looser rtol. */
  tol(dtype: DType, transcendental = false): Tol {
    if (dtype === 'int32' || dtype === 'bool') return { rtol: 0, atol: 0 };
    const t = { ...DEFAULT_TOLERANCE[dtype], ...this.options.tolerance?.[dtype] };
    return { rtol: transcendental ? t.transcendentalRtol : t.rtol, atol: t.atol };
  }

  get normalRtol(): number {
    return this.options.tolerance?.normalRtol ?? 1e-5;
  }

  /**
   * Registers one case. It is skipped when one of `dtypes` is in `skipDTypes` or not in the
   * backend's `dtypes`. Every buffer the body allocates through `scope` is freed
   * explicitly afterwards, and the backend's live-buffer count must be back where it
   * started: a backend that leaks temporaries fails here.
   */
  test(name: string, dtypes: readonly DType[], body: TestBody): void {
    const skippedByOption = dtypes.filter((d) => this.skipped.has(d));
    it.skipIf(skippedByOption.length > 0)(name, async (tc) => {
      const backend = this.backend;
      const missing = dtypes.filter((d) => !backend.dtypes.has(d));
      if (missing.length > 0) tc.skip(`${backend.name} does not hold ${missing.join(', ')}`);
      const before = backend.memoryStats();
      const scope = new BufferScope(backend);
      try {
        await body(scope, backend, tc);
      } finally {
        scope.freeAll();
      }
      const after = backend.memoryStats();
      expect(after.liveBuffers, `${name}: live buffers after the test (leak)`).toBe(before.liveBuffers);
      expect(after.liveBytes, `${name}: live bytes after the test (leak)`).toBe(before.liveBytes);
    });
  }
}

/** Float dtypes in the order cases are generated. */
export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64', 'float16'];
