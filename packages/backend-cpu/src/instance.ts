import { registerBackend } from '@torchlet/backend';
import { CpuBackend } from './cpu-backend.js';

/** The CPU backend singleton, registered as device 'cpu' when the package is imported. */
export const cpuBackend = new CpuBackend();
registerBackend(cpuBackend);
