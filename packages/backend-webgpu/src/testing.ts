/// <reference types="@webgpu/types" preserve="true" />
// Kept in the d.ts (preserve): consumers get the WebGPU types the declarations use (GPUBuffer, GPUDevice …).
/**
 * `@torchlet/backend-webgpu/testing`: the devices a shared test suite runs on, in the
 * manner of tfjs's `describeWithFlags(ALL_ENVS)` / jax-js's `suite.each(devices)`.
 *
 * ```ts
 * const env = await openTestDevices();
 * afterAll(() => env.close());
 * describe.each(env.devices)('fixtures on %s', (device) => { … });
 * if (env.skipReason) test.skip(`webgpu: ${env.skipReason}`, () => {});
 * ```
 *
 * 'cpu' is always in the list; 'webgpu' joins it when an adapter exists (Dawn from the
 * optional `webgpu` package in Node, over SwiftShader on machines without a GPU). Without an
 * adapter the WebGPU half is skipped with the reason printed, unless `REQUIRE_WEBGPU=1`
 * (CI), where that is a failure.
 */
import { getBackend, hasBackend, registerBackend, unregisterBackend, type DeviceName } from '@torchlet/backend';
import { createWebGPUBackend, type CreateWebGPUBackendOptions } from './device.js';
import { WebGPUBackend } from './webgpu-backend.js';

/** SwiftShader's Vulkan driver as Debian's chromium-common installs it (tooling/webgpu/setup-swiftshader.sh). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function env(): Record<string, string | undefined> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}

/** Whether a missing adapter must fail the run (`REQUIRE_WEBGPU=1`, as CI sets it). */
export function webgpuRequired(): boolean {
  return env().REQUIRE_WEBGPU === '1';
}

/** Points the Vulkan loader at SwiftShader when nothing else was chosen and the driver is installed (Node only). */
async function preferSwiftShader(): Promise<void> {
  const e = env();
  if (e.VK_ICD_FILENAMES || e.VK_DRIVER_FILES || typeof (globalThis as { process?: unknown }).process === 'undefined') return;
  // process.getBuiltinModule, not import('node:fs'): a browser bundle then has no Node import to resolve.
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = p?.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
  if (fs?.existsSync(SWIFTSHADER_ICD)) e.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

/** What `openTestBackend` resolves to. */
export interface TestBackend {
  /** An unregistered WebGPU backend, or null when WebGPU is unavailable. */
  backend: WebGPUBackend | null;
  /** Why there is no backend (when `backend` is null). */
  reason: string;
}

/**
 * Creates a WebGPU backend for a test file (not registered). Resolves to `{ backend: null,
 * reason }` when WebGPU is unavailable and not required; throws when `REQUIRE_WEBGPU=1`.
 */
export async function openTestBackend(options: Omit<CreateWebGPUBackendOptions, 'device' | 'gpu'> = {}): Promise<TestBackend> {
  await preferSwiftShader();
  try {
    return { backend: await createWebGPUBackend(options), reason: '' };
  } catch (err) {
    const reason = `WebGPU is unavailable: ${(err as Error).message}`;
    if (webgpuRequired()) throw new Error(`REQUIRE_WEBGPU=1 but ${reason}`, { cause: err });
    console.warn(`\n[backend-webgpu] SKIPPING WebGPU tests. ${reason}\n`);
    return { backend: null, reason };
  }
}

/** What `openTestDevices` resolves to. */
export interface TestDevices {
  /** 'cpu', then 'webgpu' when an adapter exists. */
  readonly devices: DeviceName[];
  /** The registered WebGPU backend, or null. */
  readonly webgpu: WebGPUBackend | null;
  /** Why 'webgpu' is not in `devices` (null when it is). */
  readonly skipReason: string | null;
  /** Unregisters and destroys the backend this call created (call it in `afterAll`). */
  close(): void;
}

/**
 * The devices to run a shared suite on, registering a WebGPU backend as device 'webgpu' when
 * an adapter exists (or reusing one that is registered already).
 */
export async function openTestDevices(): Promise<TestDevices> {
  if (hasBackend('webgpu')) {
    const existing = getBackend('webgpu');
    if (existing instanceof WebGPUBackend) return { devices: ['cpu', 'webgpu'], webgpu: existing, skipReason: null, close: () => {} };
  }
  const { backend, reason } = await openTestBackend();
  if (!backend) return { devices: ['cpu'], webgpu: null, skipReason: reason, close: () => {} };
  registerBackend(backend);
  let open = true;
  return {
    devices: ['cpu', 'webgpu'],
    webgpu: backend,
    skipReason: null,
    close: () => {
      if (!open) return;
      open = false;
      if (hasBackend('webgpu') && getBackend('webgpu') === backend) unregisterBackend('webgpu');
      backend.destroy();
    },
  };
}
