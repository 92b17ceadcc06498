/**
 * `torch.webgpu`: opt-in WebGPU. `await torch.webgpu.init()` finds an adapter
 * (`navigator.gpu` in browsers, the optional `webgpu` package in Node), registers the
 * backend as device 'webgpu', and returns it; then `t.to('webgpu')` and `{ device: 'webgpu' }` work.
 */
export { createWebGPUBackend, initWebGPU as init, requestGPU } from '@torchlet/backend-webgpu';
export type { CreateWebGPUBackendOptions, WebGPUBackend } from '@torchlet/backend-webgpu';
