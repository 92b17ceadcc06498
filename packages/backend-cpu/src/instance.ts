import { registerBackend } from '@torchlet/backend';
import { CpuBackend, type CpuKernels } from './cpu-backend.js';

/** `TORCHLET_CPU_KERNELS=js|wasm` overrides the automatic choice (for tests and comparisons). */
function kernelsFromEnv(): CpuKernels | 'auto' {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  const v = g.process?.env?.TORCHLET_CPU_KERNELS;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'js' || v === 'wasm') return v;
  throw new Error(`TORCHLET_CPU_KERNELS must be 'js', 'wasm' or 'auto', got '${v}'`);
}

/** The CPU backend singleton, registered as device 'cpu' when the package is imported. */
export const cpuBackend = new CpuBackend({ kernels: kernelsFromEnv() });
registerBackend(cpuBackend);
