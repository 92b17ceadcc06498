/// <reference types="@webgpu/types" preserve="true" />
// Kept in the d.ts (preserve): consumers get the WebGPU types the declarations use (GPUBuffer, GPUDevice …).
export { WebGPUBackend } from './webgpu-backend.js';
export type { WebGPUBackendOptions, WebGPUStats } from './webgpu-backend.js';
export { WebGPUBuffer } from './buffer.js';
export { createWebGPUBackend, initWebGPU, requestGPU } from './device.js';
export type { CreateWebGPUBackendOptions } from './device.js';
export type { RuntimeCounters, RuntimeOptions } from './runtime.js';
export type { PoolStats } from './pool.js';
export { version } from './version.js';
