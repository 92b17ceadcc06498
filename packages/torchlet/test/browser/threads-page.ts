/**
 * The browser threads test's page script (bundled by esbuild in browser-threads.test.ts): the
 * CPU backend's Wasm kernels on the page's main thread, a large matmul and a large elementwise
 * op with one thread and then with `threads` (Web Workers over the shared Wasm heap), waiting
 * for the workers without blocking. `window.runThreads()` returns what happened;
 * `window.runThreadsInWorker()` runs the same in a module worker (where the backend's own
 * workers are nested ones, and waiting may block).
 */
import { cpuBackend, threadStats, type ThreadStats } from '@torchlet/backend-cpu';
import * as torch from '../../src/index.js';

export interface ThreadsResult {
  /** Where it ran: 'window' (the page's main thread) or 'worker'. */
  context: string;
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  kernels: string;
  ready: boolean;
  readyMs: number;
  /** Timer ticks the page ran while it waited for the workers (it never blocks). */
  ticksWhileWaiting: number;
  stats: ThreadStats | null;
  /** Tasks the matmul was cut into for the pool. */
  matmulTasks: number;
  /** Of those, the ones a worker claimed (scheduling decides; reported, not asserted). */
  matmulWorkerTasks: number;
  elementwiseWorkerTasks: number;
  /** Largest |multi − single| over every element. */
  matmulMaxDiff: number;
  elementwiseMaxDiff: number;
  /** Largest relative error of a few matmul entries against a float64 dot product. */
  matmulRefError: number;
  elementwiseRefError: number;
  matmulMsSingle: number;
  matmulMsMulti: number;
}

const N = 512;
const E = 1 << 20;
const xa = Float32Array.from({ length: N * N }, (_, i) => Math.sin(i * 0.37));
const xb = Float32Array.from({ length: N * N }, (_, i) => Math.cos(i * 0.11));
const xe = Float32Array.from({ length: E }, (_, i) => Math.sin(i * 0.013));
const ye = Float32Array.from({ length: E }, (_, i) => Math.cos(i * 0.007));

/** The product, and the best time of `reps` runs (reported, never asserted: the machine may be busy). */
function matmul(reps = 3): { out: Float32Array; ms: number } {
  const a = torch.tensor(xa, { shape: [N, N] });
  const b = torch.tensor(xb, { shape: [N, N] });
  let ms = Infinity;
  let out = new Float32Array(0);
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const c = torch.matmul(a, b);
    ms = Math.min(ms, performance.now() - t0);
    out = Float32Array.from(c.dataSync() as Float32Array);
    c.dispose();
  }
  a.dispose();
  b.dispose();
  return { out, ms };
}

/** x·y + x over a million elements. */
function elementwise(): Float32Array {
  const x = torch.tensor(xe);
  const y = torch.tensor(ye);
  const z = torch.tidy(() => torch.add(torch.mul(x, y), x));
  const out = Float32Array.from(z.dataSync() as Float32Array);
  for (const t of [x, y, z]) t.dispose();
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function matmulRefError(c: Float32Array): number {
  let worst = 0;
  for (const [i, j] of [[0, 0], [1, 7], [255, 300], [511, 511], [400, 3]] as const) {
    let ref = 0;
    let mag = 0;
    for (let k = 0; k < N; k++) {
      ref += xa[i * N + k]! * xb[k * N + j]!;
      mag += Math.abs(xa[i * N + k]! * xb[k * N + j]!);
    }
    worst = Math.max(worst, Math.abs(c[i * N + j]! - ref) / mag);
  }
  return worst;
}

function elementwiseRefError(z: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < E; i += 4099) worst = Math.max(worst, Math.abs(z[i]! - Math.fround(Math.fround(xe[i]! * ye[i]!) + xe[i]!)));
  return worst;
}

async function runThreads(threads: number): Promise<ThreadsResult> {
  torch.setNumThreads(1);
  matmul(1); // warm-up: the engine tiers the kernels up, so the timings below compare
  const single = matmul();
  const singleEw = elementwise();

  torch.setNumThreads(threads);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const t0 = performance.now();
  const ready = await torch.whenThreadsReady(10_000);
  const readyMs = performance.now() - t0;
  clearInterval(timer);

  const s0 = threadStats()?.workerTasks ?? 0;
  const t0Tasks = threadStats()?.tasks ?? 0;
  const multi = matmul();
  const s1 = threadStats()?.workerTasks ?? 0;
  const matmulTasks = (threadStats()?.tasks ?? 0) - t0Tasks;
  const multiEw = elementwise();
  const stats = threadStats();
  torch.setNumThreads(1);

  return {
    context: typeof document === 'undefined' ? 'worker' : 'window',
    crossOriginIsolated: globalThis.crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
    kernels: cpuBackend.kernels,
    ready,
    readyMs,
    ticksWhileWaiting: ticks,
    stats,
    matmulTasks,
    matmulWorkerTasks: s1 - s0,
    elementwiseWorkerTasks: (stats?.workerTasks ?? 0) - s1,
    matmulMaxDiff: maxDiff(multi.out, single.out),
    elementwiseMaxDiff: maxDiff(multiEw, singleEw),
    matmulRefError: matmulRefError(multi.out),
    elementwiseRefError: elementwiseRefError(multiEw),
    matmulMsSingle: single.ms,
    matmulMsMulti: multi.ms,
  };
}

function runThreadsInWorker(threads: number): Promise<ThreadsResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('threads.js', location.href), { type: 'module' });
    w.onmessage = (e: MessageEvent<ThreadsResult>) => {
      w.terminate();
      resolve(e.data);
    };
    w.onerror = (e) => reject(new Error(`worker: ${e.message}`));
    w.postMessage(threads);
  });
}

if (typeof document === 'undefined') {
  // this script as a module worker: run when asked, answer with the results
  globalThis.onmessage = (e: MessageEvent<number>) => {
    runThreads(e.data).then((r) => globalThis.postMessage(r), (e: unknown) => {
      throw e;
    });
  };
} else {
  Object.assign(globalThis, { runThreads, runThreadsInWorker });
}
