/**
 * The WebGPU device the tests run on (Dawn from the `webgpu` package, over SwiftShader on
 * machines without a GPU). When no adapter is available the tests are skipped with the
 * reason printed, unless REQUIRE_WEBGPU=1 (CI), where that is a failure.
 */
import { existsSync } from 'node:fs';
import { createWebGPUBackend, type CreateWebGPUBackendOptions } from './device.js';
import type { WebGPUBackend } from './webgpu-backend.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

export const REQUIRE_WEBGPU = process.env.REQUIRE_WEBGPU === '1';

export interface TestDevice {
  backend: WebGPUBackend | null;
  /** Why there is no backend (when `backend` is null). */
  reason: string;
}

/**
 * Creates a backend for a test file. Resolves to `{ backend: null, reason }` when WebGPU
 * is unavailable (and REQUIRE_WEBGPU is not set); throws when it is required.
 */
export async function openTestBackend(options: Omit<CreateWebGPUBackendOptions, 'device' | 'gpu'> = {}): Promise<TestDevice> {
  try {
    return { backend: await createWebGPUBackend(options), reason: '' };
  } catch (err) {
    const reason = `WebGPU is unavailable: ${(err as Error).message}`;
    if (REQUIRE_WEBGPU) throw new Error(`REQUIRE_WEBGPU=1 but ${reason}`, { cause: err });
    console.warn(`\n[backend-webgpu] SKIPPING WebGPU tests. ${reason}\n`);
    return { backend: null, reason };
  }
}
