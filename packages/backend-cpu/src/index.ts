export { CpuBackend, type CpuBackendOptions, type CpuKernels } from './cpu-backend.js';
export { CpuBuffer } from './buffer.js';
export { cpuBackend } from './instance.js';
export { getNumThreads, setNumThreads } from './wasm/runtime.js';
export type { HeapStats } from './wasm/heap.js';
