import type { Backend, DeviceName } from './backend.js';

/**
 * Backends by device name. Kept on `globalThis` so that a bundle containing this package
 * twice still has one registry.
 */
interface RegistryState {
  backends: Map<DeviceName, Backend>;
}

const KEY = Symbol.for('@torchlet/backend/registry');
const state: RegistryState = ((globalThis as Record<symbol, unknown>)[KEY] as RegistryState | undefined) ?? {
  backends: new Map(),
};
(globalThis as Record<symbol, unknown>)[KEY] = state;

export function registerBackend(backend: Backend): void {
  state.backends.set(backend.name, backend);
}

export function unregisterBackend(name: DeviceName): void {
  state.backends.delete(name);
}

export function getBackend(name: DeviceName): Backend {
  const backend = state.backends.get(name);
  if (!backend) {
    const hint = name === 'webgpu' ? " Call `await torch.webgpu.init()` first." : " Import '@torchlet/backend-cpu'.";
    throw new Error(`No backend is registered for device '${name}'.${hint}`);
  }
  return backend;
}

export function hasBackend(name: DeviceName): boolean {
  return state.backends.has(name);
}

export function registeredBackends(): DeviceName[] {
  return [...state.backends.keys()];
}
