/**
 * TensorFlow.js 4.22 as a benchmark peer, with its `cpu` (plain JavaScript) or `wasm`
 * (XNNPACK, one thread: tfjs turns Wasm threads off in Node) backend. One module instance
 * serves both; `useTf(name)` switches the active backend before a case builds its tensors.
 */
import { ensurePeers, requirePeer } from './install.js';
import type { TF, TfWasmBackend } from './types.js';

export type { TF };
export type TfBackend = 'cpu' | 'wasm';

let tfPromise: Promise<TF> | null = null;

async function loadTf(): Promise<TF> {
  tfPromise ??= (async () => {
    const tf = requirePeer<TF>('@tensorflow/tfjs');
    const wasm = requirePeer<TfWasmBackend>('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(1);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    // Production mode: no "install tfjs-node" banner, no debug checks.
    tf.enableProdMode();
    return tf;
  })();
  return tfPromise;
}

/** TensorFlow.js with `backend` active (initialised on first use), or null when it is not installed. */
export async function useTf(backend: TfBackend): Promise<TF | null> {
  if (ensurePeers() !== null) return null;
  const tf = await loadTf();
  if (tf.getBackend() !== backend) {
    const ok = await tf.setBackend(backend);
    if (!ok) throw new Error(`tfjs: the ${backend} backend did not initialise`);
  }
  await tf.ready();
  return tf;
}

/** The label used in tables and JSON. */
export function tfLabel(backend: TfBackend): string {
  return backend === 'wasm' ? 'tfjs-wasm (1 thread)' : 'tfjs-cpu';
}
