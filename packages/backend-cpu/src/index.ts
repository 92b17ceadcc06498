export { CpuBackend } from './cpu-backend.js';
export { CpuBuffer } from './buffer.js';
export { cpuBackend } from './instance.js';
