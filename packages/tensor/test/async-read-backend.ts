/**
 * Test support: a real backend that runs the CPU kernels but, like WebGPU, cannot read
 * synchronously. It is registered under the device name 'webgpu' for the duration of a
 * callback (the only other `DeviceName`), so tests can exercise the async-read rules and
 * device-independence (for example of the random streams) without a GPU.
 */
import { getBackend, hasBackend, registerBackend, unregisterBackend, type Backend } from '@torchlet/backend';

/** The CPU backend with `name: 'webgpu'`, `canReadSync: false` and no `readSync`/`wrap`. */
export function asyncReadBackend(): Backend {
  const cpu = getBackend('cpu');
  return new Proxy(cpu, {
    get(target, prop) {
      if (prop === 'name') return 'webgpu';
      if (prop === 'canReadSync') return false;
      if (prop === 'readSync' || prop === 'wrap') return undefined;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    has(target, prop) {
      if (prop === 'readSync' || prop === 'wrap') return false;
      return Reflect.has(target, prop);
    },
  });
}

/**
 * Runs `fn` with `asyncReadBackend()` registered as 'webgpu', then unregisters it (even if
 * `fn` throws). Refuses to shadow a real WebGPU backend.
 */
export async function withAsyncReadBackend<T>(fn: (backend: Backend) => T | Promise<T>): Promise<T> {
  if (hasBackend('webgpu')) throw new Error("withAsyncReadBackend: a 'webgpu' backend is already registered");
  const backend = asyncReadBackend();
  registerBackend(backend);
  try {
    return await fn(backend);
  } finally {
    unregisterBackend('webgpu');
  }
}
