/** Device set-up: finding a WebGPU implementation, requesting an adapter and device, registering the backend. */
import { getBackend, hasBackend, registerBackend } from '@torchlet/backend';
import type { RuntimeOptions } from './runtime.js';
import { WebGPUBackend } from './webgpu-backend.js';

/** Options of `createWebGPUBackend` / `initWebGPU` (`torch.webgpu.init`). */
export interface CreateWebGPUBackendOptions extends RuntimeOptions {
  /** Use this device (the backend then leaves its lifetime to the caller). */
  device?: GPUDevice;
  /** Passed to `requestAdapter` when no device is given. */
  adapterOptions?: GPURequestAdapterOptions;
  /** The WebGPU entry point; defaults to `navigator.gpu`, or the `webgpu` package (Dawn) in Node. */
  gpu?: GPU;
}

/** The limits the backend raises to the adapter's maxima when it requests the device itself. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
] as const;

const SWIFTSHADER_HINT =
  'On a Linux machine without a GPU, install SwiftShader (tooling/webgpu/setup-swiftshader.sh: apt packages chromium-common and libvulkan1) ' +
  'and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.';

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

interface DawnModule {
  create(options: string[]): GPU;
}

let nodeGPU: GPU | undefined;

/**
 * The WebGPU entry point: `navigator.gpu` where it exists (browsers, Deno), otherwise in
 * Node the optional peer dependency `webgpu` (Dawn), imported on first use.
 */
export async function requestGPU(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (!isNode()) throw new Error('webgpu: this environment has no WebGPU (navigator.gpu is undefined)');
  if (!nodeGPU) {
    const specifier = 'webgpu';
    let mod: DawnModule;
    try {
      mod = (await import(/* @vite-ignore */ specifier)) as DawnModule;
    } catch (err) {
      throw new Error(`webgpu: WebGPU in Node needs the optional peer dependency 'webgpu' (npm install webgpu): ${(err as Error).message}`, { cause: err });
    }
    // Kept for the life of the process: Dawn's GPU object must outlive its adapters and devices.
    nodeGPU = mod.create([]);
  }
  return nodeGPU;
}

/**
 * Creates a WebGPU backend (torch.device('webgpu')) on `options.device`, or on a device
 * requested from the adapter with the adapter's larger buffer limits.
 *
 * ```ts
 * const backend = await createWebGPUBackend();            // navigator.gpu or Dawn in Node
 * const mine = await createWebGPUBackend({ device });     // an existing GPUDevice
 * ```
 */
export async function createWebGPUBackend(options: CreateWebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  if (options.device) return new WebGPUBackend(options.device, { ...options, ownsDevice: false });
  const gpu = options.gpu ?? (await requestGPU());
  const adapter = await gpu.requestAdapter(options.adapterOptions);
  if (!adapter) throw new Error(`webgpu: no WebGPU adapter is available (requestAdapter() returned null). ${isNode() ? SWIFTSHADER_HINT : ''}`.trim());
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const device = await adapter.requestDevice({ requiredLimits, label: 'torchlet' });
  return new WebGPUBackend(device, { ...options, ownsDevice: true });
}

/**
 * `await torch.webgpu.init()`: creates the WebGPU backend and registers it as device
 * 'webgpu'. Returns the registered backend when one exists already (unless options are given).
 */
export async function initWebGPU(options?: CreateWebGPUBackendOptions): Promise<WebGPUBackend> {
  if (!options && hasBackend('webgpu')) {
    const existing = getBackend('webgpu');
    if (existing instanceof WebGPUBackend) return existing;
  }
  const backend = await createWebGPUBackend(options);
  registerBackend(backend);
  return backend;
}
