import type { Backend } from '../backend.js';
import { SuiteContext } from './context.js';
import type { ConformanceOptions } from './options.js';
import { elementwiseSuite } from './suites/elementwise.js';
import { fusedSuite } from './suites/fused.js';
import { indexingSuite } from './suites/indexing.js';
import { matmulSuite } from './suites/matmul.js';
import { memorySuite } from './suites/memory.js';
import { randomSuite } from './suites/random.js';
import { reduceSuite } from './suites/reduce.js';
import { sortSuite } from './suites/sort.js';
import { describe } from './vitest.js';

/**
 * Registers the backend conformance suite (vitest `describe`/`it` blocks) for one
 * backend: every primitive of the `Backend` interface on contiguous, transposed, sliced,
 * broadcast (stride 0), rank-0 and zero-size views, checked against naive float64
 * references with PyTorch's semantics, plus the fused kernels the backend declares.
 * It uses only asynchronous reads, frees every buffer it allocates, and fails a case
 * whose backend leaves live buffers behind.
 *
 * ```ts
 * // packages/backend-cpu/src/conformance.test.ts
 * import { runConformanceSuite } from '@torchlet/backend/testing';
 * import { cpuBackend } from './index.js';
 * runConformanceSuite('cpu', () => cpuBackend);
 * ```
 */
export function runConformanceSuite(name: string, getBackend: () => Backend | Promise<Backend>, options: ConformanceOptions = {}): void {
  describe(`backend conformance: ${name}`, () => {
    const ctx = new SuiteContext(name, getBackend, options);
    memorySuite(ctx);
    elementwiseSuite(ctx);
    reduceSuite(ctx);
    matmulSuite(ctx);
    indexingSuite(ctx);
    sortSuite(ctx);
    randomSuite(ctx);
    fusedSuite(ctx);
  });
}
