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

/** Registers `backend` as its device (`backend.name`), replacing any before it. */
export function registerBackend(backend: Backend): void {
  state.backends.set(backend.name, backend);
}

/** Removes the backend registered for device `name`. */
export function unregisterBackend(name: DeviceName): void {
  state.backends.delete(name);
}

/** The backend for device `name`; throws, with a hint, when none is registered. */
export function getBackend(name: DeviceName): Backend {
  const backend = state.backends.get(name);
  if (!backend) {
    const hint = name === 'webgpu' ? " Call `await torch.webgpu.init()` first." : " Import '@torchlet/backend-cpu'.";
    throw new Error(`No backend is registered for device '${name}'.${hint}`);
  }
  return backend;
}

/** Whether a backend is registered for device `name`. */
export function hasBackend(name: DeviceName): boolean {
  return state.backends.has(name);
}

/** The registered device names. */
export function registeredBackends(): DeviceName[] {
  return [...state.backends.keys()];
}
