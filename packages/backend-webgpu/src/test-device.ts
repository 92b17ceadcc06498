/**
 * The WebGPU device this package's own tests run on; see `testing.ts` (the public
 * `@torchlet/backend-webgpu/testing` entry) for the rules: skipped with the reason printed
 * when no adapter exists, a failure with REQUIRE_WEBGPU=1 (CI).
 */
export { openTestBackend, webgpuRequired, type TestBackend as TestDevice } from './testing.js';

export const REQUIRE_WEBGPU = process.env.REQUIRE_WEBGPU === '1';
