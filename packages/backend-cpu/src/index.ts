export { CpuBackend, type CpuBackendOptions, type CpuKernels } from './cpu-backend.js';
export { CpuBuffer } from './buffer.js';
export { cpuBackend } from './instance.js';
export { getNumThreads, setNumThreads, threadStats, whenThreadsReady, type ThreadStats } from './wasm/runtime.js';
export type { HeapStats } from './wasm/heap.js';
export { wasmFeatures, type WasmFeatures } from './wasm/features.js';
export { version } from './version.js';
