import { storageStats, type Storage } from '@torchlet/backend';
import type { Tensor } from '../core/tensor.js';

/**
 * Tensor lifetimes: exact counts, `tidy` scopes, and a FinalizationRegistry backstop that
 * releases the storage reference of a tensor that was garbage-collected without
 * `dispose()` — and counts it, so a test can treat any reclaim as a leak.
 */
interface LifetimeState {
  liveTensors: number;
  reclaimedByGC: number;
  scopes: Set<Tensor>[];
}

const KEY = Symbol.for('@torchlet/tensor/lifetime');
const g = globalThis as Record<symbol, unknown>;
const state: LifetimeState = (g[KEY] as LifetimeState | undefined) ?? { liveTensors: 0, reclaimedByGC: 0, scopes: [] };
g[KEY] = state;

const backstop = new FinalizationRegistry<Storage>((storage) => {
  state.reclaimedByGC++;
  state.liveTensors--;
  if (!storage.isFreed) storage.release();
});

export function trackTensor(t: Tensor, storage: Storage): void {
  state.liveTensors++;
  backstop.register(t, storage, t);
  const scope = state.scopes[state.scopes.length - 1];
  if (scope) scope.add(t);
}

export function untrackTensor(t: Tensor): void {
  state.liveTensors--;
  backstop.unregister(t);
  const scope = state.scopes[state.scopes.length - 1];
  if (scope) scope.delete(t);
}

/** What `memoryStats()` reports: exact counts on every device. */
export interface MemoryStats {
  /** Tensors created and not yet disposed (or reclaimed). */
  readonly liveTensors: number;
  /** Storages (device allocations) alive on every backend. */
  readonly liveStorages: number;
  /** Bytes held by those storages. */
  readonly liveBytes: number;
  /** Tensors whose storage reference the garbage-collection backstop released: leaks. */
  readonly reclaimedByGC: number;
}

/** The live tensors, storages and bytes, and the backstop's reclaim count; a loop that leaves them unchanged does not leak. */
export function memoryStats(): MemoryStats {
  const s = storageStats();
  return { liveTensors: state.liveTensors, liveStorages: s.liveStorages, liveBytes: s.liveBytes, reclaimedByGC: state.reclaimedByGC };
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Tensors reachable from a tidy result (tensor, array, or plain object of them). */
function collectTensors(value: unknown, out: Set<unknown>, isTensor: (v: unknown) => boolean): void {
  if (isTensor(value)) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, out, isTensor);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out, isTensor);
  }
}

let isTensorCheck: (v: unknown) => boolean = () => false;
export function setTensorCheck(fn: (v: unknown) => boolean): void {
  isTensorCheck = fn;
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns (which move to
 * the enclosing scope) and those passed to `keep`. Refuses async callbacks: the scope
 * would end before their tensors are made.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  state.scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    state.scopes.pop();
    for (const t of scope) t.dispose();
    throw err;
  }
  state.scopes.pop();
  if (isThenable(result)) {
    // Whatever the callback made before its first await belongs to no scope now: free it.
    for (const t of scope) t.dispose();
    throw new TypeError('tidy(fn): fn returned a Promise; tidy scopes are synchronous. Dispose tensors yourself in async code.');
  }
  const kept = new Set<unknown>();
  collectTensors(result, kept, isTensorCheck);
  const parent = state.scopes[state.scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Excludes `t` from the enclosing `tidy` scopes, so it outlives them. */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of state.scopes) scope.delete(t);
  return t;
}
