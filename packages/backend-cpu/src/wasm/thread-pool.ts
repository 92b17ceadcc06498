/**
 * Worker threads over the shared Wasm memory: `worker_threads` in Node, Web Workers in
 * browsers (shared memory there needs cross-origin isolation: COOP `same-origin` + COEP
 * `require-corp`). Each worker instantiates the same kernel module on the same memory.
 *
 * A job is one exported kernel and a list of tasks (argument tuples). Workers and the
 * calling thread claim tasks from a shared atomic counter, so the caller never waits for
 * a worker to wake up: if none does, it runs every task itself. The caller waits for the
 * tasks others claimed with `Atomics.wait` where blocking is allowed (Node, workers) and
 * by spinning on a browser's main thread, where `Atomics.wait` is forbidden. Workers are
 * unref'ed, so they never keep a Node process alive.
 *
 * A worker that cannot start (a Content Security Policy that forbids Blob workers, an
 * instantiation failure) marks itself failed and is never given work: the pool then runs
 * with fewer threads, down to the calling thread alone.
 */

/** Largest number of arguments a task passes (after the thread id). */
export const TASK_ARGS = 13;
const ROW = TASK_ARGS + 1;
export const MAX_TASKS = 4096;
const MAX_WORKERS = 64;
/** Milliseconds a thread spins on a shared counter before it blocks in `Atomics.wait`. */
const SPIN_MS = 0.05;

// control block layout (Int32 indices)
const FN = 0;
const COUNT = 1;
const NEXT = 2;
const DONE = 3;
const ERROR = 4;
/** Tasks the workers (not the caller) have run, for `stats()`. */
const WORKER_TASKS = 5;
/** Per worker: 0 starting, 1 ready, -1 failed to start. */
const READY = 16;
const MBOX = READY + MAX_WORKERS;
const ACK = MBOX + MAX_WORKERS;
const CONTROL_INTS = ACK + MAX_WORKERS;

/** The worker's program, plain JavaScript so it runs unbundled in Node (`eval`) and browsers (a Blob URL). */
const WORKER_SOURCE = `
'use strict';
function torchletWorker(d) {
  const ctrl = new Int32Array(d.control);
  const table = new Int32Array(d.table);
  const tid = d.tid;
  const ROW = ${ROW};
  let fns;
  try {
    const instance = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
    fns = d.names.map((n) => instance.exports[n]);
  } catch (e) {
    Atomics.store(ctrl, ${READY} + tid, -1);
    return;
  }
  Atomics.store(ctrl, ${READY} + tid, 1);
  let seen = 0;
  for (;;) {
    // Jobs often come back to back (a recurrent layer runs one per timestep): spin briefly
    // before sleeping, so the next one starts without a futex wake-up.
    let g = Atomics.load(ctrl, ${MBOX} + tid);
    if (g === seen) {
      const until = performance.now() + ${SPIN_MS};
      while ((g = Atomics.load(ctrl, ${MBOX} + tid)) === seen && performance.now() < until);
      if (g === seen) {
        Atomics.wait(ctrl, ${MBOX} + tid, seen);
        continue;
      }
    }
    if (g < 0) return;
    seen = g;
    const fn = fns[Atomics.load(ctrl, ${FN})];
    const n = Atomics.load(ctrl, ${COUNT});
    let t;
    let ran = 0;
    while ((t = Atomics.add(ctrl, ${NEXT}, 1)) < n) {
      const o = t * ROW;
      try {
        fn(tid, table[o], table[o + 1], table[o + 2], table[o + 3], table[o + 4], table[o + 5],
          table[o + 6], table[o + 7], table[o + 8], table[o + 9], table[o + 10], table[o + 11], table[o + 12]);
      } catch (e) {
        Atomics.store(ctrl, ${ERROR}, 1);
      }
      ran++;
      if (Atomics.add(ctrl, ${DONE}, 1) + 1 === n) Atomics.notify(ctrl, ${DONE});
    }
    if (ran > 0) Atomics.add(ctrl, ${WORKER_TASKS}, ran);
    Atomics.store(ctrl, ${ACK} + tid, g);
    Atomics.notify(ctrl, ${ACK} + tid);
  }
}
if (typeof require === 'function') {
  torchletWorker(require('node:worker_threads').workerData);
} else {
  self.onmessage = (e) => torchletWorker(e.data);
}
`;

interface WorkerHandle {
  terminate(): void;
}

type NodeWorkerThreads = {
  Worker: new (
    src: string,
    options: { eval: true; workerData: unknown },
  ) => WorkerHandle & { unref(): void; on(event: 'error', listener: () => void): void };
};

type BrowserWorker = WorkerHandle & {
  postMessage(d: unknown): void;
  addEventListener(type: 'error', listener: (e: { preventDefault(): void }) => void): void;
};

/** The worker program as a Blob URL, made once per realm (workers share it). */
let blobUrl: string | undefined;

/** Whether this thread may block in `Atomics.wait` (not a browser's main thread). */
function canBlock(): boolean {
  const g = globalThis as { document?: unknown; process?: { versions?: { node?: string } } };
  return g.process?.versions?.node !== undefined || typeof g.document === 'undefined';
}

function nodeWorkerThreads(): NodeWorkerThreads | undefined {
  const g = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  return g.process?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
}

/**
 * Starts a worker; `failed` runs if it dies before or after starting (an uncaught error,
 * a script the page's CSP refuses), so the pool stops counting on it.
 */
function spawn(data: Record<string, unknown>, failed: () => void): WorkerHandle | null {
  const g = globalThis as {
    Worker?: new (url: string) => BrowserWorker;
    Blob?: typeof Blob;
    URL?: typeof URL;
  };
  const wt = nodeWorkerThreads();
  if (wt !== undefined) {
    const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data });
    w.on('error', failed);
    w.unref();
    return w;
  }
  if (g.Worker !== undefined && g.Blob !== undefined && g.URL !== undefined) {
    blobUrl ??= g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const w = new g.Worker(blobUrl);
    w.addEventListener('error', (e) => {
      e.preventDefault(); // handled: the pool runs without this worker
      failed();
    });
    try {
      w.postMessage(data); // throws where the memory cannot be shared (not cross-origin isolated)
    } catch (e) {
      w.terminate();
      throw e;
    }
    return w;
  }
  return null;
}

/** What the pool has done, for tests and tuning (see `ThreadPool.stats`). */
export interface ThreadPoolStats {
  /** Worker threads the pool uses (`setNumThreads(n)` − 1). */
  readonly workers: number;
  /** Of those, the ones running and taking tasks. */
  readonly readyWorkers: number;
  /** Of those, the ones that could not start (they are never given work). */
  readonly failedWorkers: number;
  /** Jobs run through the pool (each a kernel and its tasks). */
  readonly jobs: number;
  /** Tasks of those jobs, on every thread. */
  readonly tasks: number;
  /** Tasks that worker threads ran (the rest ran on the calling thread). */
  readonly workerTasks: number;
}

/** Whether worker threads can be started here at all. */
export function threadsAvailable(): boolean {
  const g = globalThis as { process?: { getBuiltinModule?: unknown }; Worker?: unknown };
  return typeof SharedArrayBuffer !== 'undefined' && (typeof g.process?.getBuiltinModule === 'function' || g.Worker !== undefined);
}

type Kernel = (...args: number[]) => void;

export class ThreadPool {
  readonly #ctrl = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  readonly #table = new Int32Array(new SharedArrayBuffer(MAX_TASKS * ROW * 4));
  readonly #workers: (WorkerHandle | null)[] = [];
  readonly #blocking = canBlock();
  /** Browsers: start one worker first and the rest once it runs (see `#spawnWanted`). */
  readonly #probeFirst = nodeWorkerThreads() === undefined;
  /** Workers signalled for the last job (they must acknowledge it before the next one). */
  #pending: number[] = [];
  #gen = 0;
  #active = 0;
  #jobs = 0;
  #tasks = 0;

  constructor(
    readonly module: WebAssembly.Module,
    readonly memory: WebAssembly.Memory,
    readonly names: readonly string[],
    readonly kernels: readonly Kernel[],
  ) {}

  /** Number of worker threads taking tasks (the caller is one more). */
  get size(): number {
    return this.#active;
  }

  /** Active workers that have instantiated the module and can take tasks. */
  get readyCount(): number {
    return this.#count(1);
  }

  /** Active workers still starting (neither ready nor failed). */
  get startingCount(): number {
    return this.#count(0);
  }

  /** Active workers that could not start (they never take tasks). */
  get failedCount(): number {
    return this.#count(-1);
  }

  stats(): ThreadPoolStats {
    this.#spawnWanted();
    return {
      workers: this.#active,
      readyWorkers: this.#count(1),
      failedWorkers: this.failedCount,
      jobs: this.#jobs,
      tasks: this.#tasks,
      workerTasks: Atomics.load(this.#ctrl, WORKER_TASKS),
    };
  }

  #count(state: number): number {
    let n = 0;
    for (let w = 1; w <= this.#active; w++) if (Atomics.load(this.#ctrl, READY + w) === state) n++;
    return n;
  }

  /**
   * Uses `n` workers, starting any that do not exist yet (they become ready asynchronously).
   * Workers beyond `n` stay parked in `Atomics.wait`, costing nothing, until needed again.
   */
  resize(n: number): void {
    this.#drain();
    this.#active = Math.max(0, Math.min(MAX_WORKERS - 1, n));
    this.#spawnWanted();
  }

  /**
   * Starts the workers `resize` asked for that do not exist yet. In browsers the first is a
   * probe: the others start once it runs, or are marked failed with it — a page whose CSP
   * refuses Blob workers then logs one violation, not one per worker. Called again by
   * `run`, `whenReady`, `waitReady` and `stats`, so they start without a timer.
   */
  #spawnWanted(): void {
    while (this.#workers.length < this.#active) {
      const tid = this.#workers.length + 1;
      const failed = (): void => {
        Atomics.store(this.#ctrl, READY + tid, -1);
      };
      const probe = tid > 1 && this.#probeFirst ? Atomics.load(this.#ctrl, READY + 1) : 1;
      if (probe === 0) return;
      let worker: WorkerHandle | null = null;
      if (probe === 1) {
        try {
          const data = { module: this.module, memory: this.memory, names: this.names, control: this.#ctrl.buffer, table: this.#table.buffer, tid };
          worker = spawn(data, failed);
        } catch {
          // e.g. an engine that refuses to send the module or memory to a worker
        }
      }
      if (worker === null) failed();
      this.#workers.push(worker);
    }
  }

  /**
   * Blocks (where allowed: not on a browser's main thread) until every worker is ready or
   * has failed, or `timeoutMs` passes. True when every worker is ready.
   */
  waitReady(timeoutMs = 5000): boolean {
    const until = performance.now() + timeoutMs;
    while (this.startingCount > 0 && this.#blocking && performance.now() < until) {
      this.#spawnWanted();
      for (let w = 1; w <= this.#active; w++) {
        if (Atomics.load(this.#ctrl, READY + w) === 0) Atomics.wait(this.#ctrl, READY + w, 0, 5);
      }
    }
    return this.#active > 0 && this.readyCount === this.#active;
  }

  /**
   * `waitReady` without blocking, for a browser's main thread: polls with `setTimeout`, so
   * the page keeps running (and workers can start, which may need this thread's event loop).
   */
  async whenReady(timeoutMs = 10_000): Promise<boolean> {
    const until = performance.now() + timeoutMs;
    while (this.startingCount > 0 && performance.now() < until) {
      this.#spawnWanted();
      await new Promise((r) => setTimeout(r, 2));
    }
    return this.#active > 0 && this.readyCount === this.#active;
  }

  /** Runs `kernels[fn](tid, …task)` for every task, on this thread and the ready workers. */
  run(fn: number, tasks: readonly (readonly number[])[]): void {
    const n = tasks.length;
    if (n > MAX_TASKS) throw new RangeError(`thread pool: ${n} tasks exceed ${MAX_TASKS}`);
    this.#drain();
    if (this.#workers.length < this.#active) this.#spawnWanted();
    const ctrl = this.#ctrl;
    const table = this.#table;
    for (let t = 0; t < n; t++) {
      const task = tasks[t]!;
      const o = t * ROW;
      for (let i = 0; i < task.length; i++) table[o + i] = task[i]!;
    }
    Atomics.store(ctrl, FN, fn);
    Atomics.store(ctrl, COUNT, n);
    Atomics.store(ctrl, NEXT, 0);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, ERROR, 0);
    this.#jobs++;
    this.#tasks += n;
    const gen = ++this.#gen;
    const helpers: number[] = [];
    for (let w = 1; w <= this.#active && helpers.length < n - 1; w++) {
      if (Atomics.load(ctrl, READY + w) !== 1) continue;
      helpers.push(w);
      Atomics.store(ctrl, MBOX + w, gen);
      Atomics.notify(ctrl, MBOX + w);
    }
    this.#pending = helpers;
    const kernel = this.kernels[fn]!;
    let failure: unknown;
    let t: number;
    while ((t = Atomics.add(ctrl, NEXT, 1)) < n) {
      try {
        if (failure === undefined) {
          const o = t * ROW;
          kernel(0, table[o]!, table[o + 1]!, table[o + 2]!, table[o + 3]!, table[o + 4]!, table[o + 5]!,
            table[o + 6]!, table[o + 7]!, table[o + 8]!, table[o + 9]!, table[o + 10]!, table[o + 11]!, table[o + 12]!);
        }
      } catch (e) {
        failure = e;
      }
      Atomics.add(ctrl, DONE, 1);
    }
    this.#waitValue(DONE, n);
    if (failure !== undefined) throw failure;
    if (Atomics.load(ctrl, ERROR) !== 0) throw new Error('cpu backend: a kernel failed on a worker thread');
  }

  /** Stops every worker (the pool is unusable afterwards). */
  terminate(): void {
    this.#drain();
    for (let w = 1; w <= this.#workers.length; w++) {
      Atomics.store(this.#ctrl, READY + w, 0);
      Atomics.store(this.#ctrl, MBOX + w, -1);
      Atomics.notify(this.#ctrl, MBOX + w);
      this.#workers[w - 1]?.terminate();
    }
    this.#workers.length = 0;
    this.#active = 0;
  }

  /** Waits until every worker signalled for the last job has acknowledged it. */
  #drain(): void {
    for (const w of this.#pending) this.#waitEqual(ACK + w, this.#gen);
    this.#pending = [];
  }

  #waitValue(index: number, target: number): void {
    const ctrl = this.#ctrl;
    let last = Atomics.load(ctrl, index);
    // The workers' last tasks usually end within microseconds: spin before blocking.
    const spinUntil = performance.now() + SPIN_MS;
    while (last < target && performance.now() < spinUntil) last = Atomics.load(ctrl, index);
    let since = performance.now();
    while (last < target) {
      if (this.#blocking) Atomics.wait(ctrl, index, last, 20);
      const now = Atomics.load(ctrl, index);
      if (now !== last) {
        last = now;
        since = performance.now();
      } else if (performance.now() - since > 60_000) {
        throw new Error('cpu backend: a worker thread stopped responding');
      }
    }
  }

  #waitEqual(index: number, value: number): void {
    const ctrl = this.#ctrl;
    const since = performance.now();
    let cur: number;
    while ((cur = Atomics.load(ctrl, index)) !== value) {
      if (this.#blocking) Atomics.wait(ctrl, index, cur, 20);
      if (performance.now() - since > 60_000) throw new Error('cpu backend: a worker thread stopped responding');
    }
  }
}
