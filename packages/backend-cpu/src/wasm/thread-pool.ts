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
 *
 * A worker that stops later (its thread exits) is removed the same way, without the event
 * loop: the worker marks itself exited as its thread ends (Node's `process.on('exit')`, a
 * `finally` around its loop), and its `exit`/`error` events do too where they arrive first.
 * Each task has a claim word (free, claimed by thread k, done): a caller that sees a death
 * redoes the tasks the dead worker had claimed and not finished, so the job's results are
 * the same. One warning says so; `setNumThreads` starts replacements.
 */

/** Largest number of arguments a task passes (after the thread id). */
export const TASK_ARGS = 13;
const ROW = TASK_ARGS + 1;
export const MAX_TASKS = 4096;
const MAX_WORKERS = 64;
/** Milliseconds a thread spins on a shared counter before it blocks in `Atomics.wait`. */
const SPIN_MS = 0.05;
/**
 * Last resort for a worker that stopped without anyone seeing it (e.g. killed by the engine
 * while this thread waits synchronously, so its `exit` event cannot arrive): after this long
 * without progress it is terminated and treated as exited.
 */
const STALL_MS = 60_000;

// control block layout (Int32 indices)
const FN = 0;
const COUNT = 1;
const NEXT = 2;
const DONE = 3;
const ERROR = 4;
/** Tasks the workers (not the caller) have run, for `stats()`. */
const WORKER_TASKS = 5;
/** Bumped (and DONE notified) whenever a worker stops: a waiting caller looks for work to redo. */
const DEATHS = 6;
/** Per worker: 0 starting, 1 ready, -1 failed to start, -2 exited after starting. */
const READY = 16;
const MBOX = READY + MAX_WORKERS;
const ACK = MBOX + MAX_WORKERS;
/** Per worker, fault injection for tests: 1 exit now, 2 exit right after claiming a task. */
const KILL = ACK + MAX_WORKERS;
const CONTROL_INTS = KILL + MAX_WORKERS;

const STARTING = 0;
const READY_STATE = 1;
const FAILED = -1;
const EXITED = -2;
/** Claim word of a finished task (otherwise 0 = free, k + 1 = claimed by thread k). */
const TASK_DONE = -1;

/** The worker's program, plain JavaScript so it runs unbundled in Node (`eval`) and browsers (a Blob URL). */
const WORKER_SOURCE = `
'use strict';
function torchletWorker(d) {
  const ctrl = new Int32Array(d.control);
  const table = new Int32Array(d.table);
  const claims = new Int32Array(d.claims);
  const tid = d.tid;
  const ROW = ${ROW};
  const node = typeof process === 'object' && typeof process.exit === 'function';
  let gone = false;
  // However this thread ends: mark it stopped and wake a caller that may wait on it.
  const leave = () => {
    if (gone) return;
    gone = true;
    const s = Atomics.load(ctrl, ${READY} + tid);
    if (s >= 0) Atomics.store(ctrl, ${READY} + tid, s === ${READY_STATE} ? ${EXITED} : ${FAILED});
    Atomics.add(ctrl, ${DEATHS}, 1);
    Atomics.notify(ctrl, ${DONE});
    Atomics.notify(ctrl, ${ACK} + tid);
    Atomics.notify(ctrl, ${READY} + tid);
  };
  const exit = () => {
    leave();
    if (node) process.exit(1);
    else self.close();
  };
  try {
    if (node) process.on('exit', leave);
    let fns;
    try {
      const instance = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
      fns = d.names.map((n) => instance.exports[n]);
    } catch (e) {
      Atomics.store(ctrl, ${READY} + tid, ${FAILED});
      return;
    }
    if (Atomics.load(ctrl, ${KILL} + tid) === 1) return exit();
    Atomics.store(ctrl, ${READY} + tid, ${READY_STATE});
    Atomics.notify(ctrl, ${READY} + tid);
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
      if (Atomics.load(ctrl, ${KILL} + tid) === 1) return exit();
      seen = g;
      const fn = fns[Atomics.load(ctrl, ${FN})];
      const n = Atomics.load(ctrl, ${COUNT});
      let t;
      let ran = 0;
      while ((t = Atomics.add(ctrl, ${NEXT}, 1)) < n) {
        if (Atomics.compareExchange(claims, t, 0, tid + 1) !== 0) continue;
        if (Atomics.load(ctrl, ${KILL} + tid) === 2) return exit();
        const o = t * ROW;
        try {
          fn(tid, table[o], table[o + 1], table[o + 2], table[o + 3], table[o + 4], table[o + 5],
            table[o + 6], table[o + 7], table[o + 8], table[o + 9], table[o + 10], table[o + 11], table[o + 12]);
        } catch (e) {
          Atomics.store(ctrl, ${ERROR}, 1);
        }
        Atomics.store(claims, t, ${TASK_DONE});
        ran++;
        if (Atomics.add(ctrl, ${DONE}, 1) + 1 === n) Atomics.notify(ctrl, ${DONE});
      }
      if (ran > 0) Atomics.add(ctrl, ${WORKER_TASKS}, ran);
      Atomics.store(ctrl, ${ACK} + tid, g);
      Atomics.notify(ctrl, ${ACK} + tid);
    }
  } finally {
    leave();
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
  ) => WorkerHandle & { unref(): void; on(event: 'error' | 'exit', listener: () => void): void };
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
 * Starts a worker; `lost` runs if it dies before or after starting (an uncaught error, its
 * thread exiting, a script the page's CSP refuses), so the pool stops counting on it.
 */
function spawn(data: Record<string, unknown>, lost: () => void): WorkerHandle | null {
  const g = globalThis as {
    Worker?: new (url: string) => BrowserWorker;
    Blob?: typeof Blob;
    URL?: typeof URL;
  };
  const wt = nodeWorkerThreads();
  if (wt !== undefined) {
    const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data });
    w.on('error', lost);
    w.on('exit', lost);
    w.unref();
    return w;
  }
  if (g.Worker !== undefined && g.Blob !== undefined && g.URL !== undefined) {
    blobUrl ??= g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const w = new g.Worker(blobUrl);
    w.addEventListener('error', (e) => {
      e.preventDefault(); // handled: the pool runs without this worker
      lost();
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
  /** Of those, the ones whose thread stopped after starting (removed; `setNumThreads` replaces them). */
  readonly exitedWorkers: number;
  /** Jobs run through the pool (each a kernel and its tasks). */
  readonly jobs: number;
  /** Tasks of those jobs, on every thread. */
  readonly tasks: number;
  /** Tasks that worker threads ran (the rest ran on the calling thread). */
  readonly workerTasks: number;
  /** Tasks the calling thread redid because the worker that had claimed them stopped. */
  readonly redoneTasks: number;
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
  /** Per task of the current job: 0 free, k + 1 claimed by thread k, TASK_DONE. */
  readonly #claims = new Int32Array(new SharedArrayBuffer(MAX_TASKS * 4));
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
  /** DEATHS as last handled, and whether the one-time warning was given. */
  #deathsSeen = 0;
  #warned = false;
  #redone = 0;
  #terminated = false;

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
    return this.#count(READY_STATE);
  }

  /** Active workers still starting (neither ready nor failed). */
  get startingCount(): number {
    return this.#count(STARTING);
  }

  /** Active workers that could not start (they never take tasks). */
  get failedCount(): number {
    return this.#count(FAILED);
  }

  /** Active workers whose thread stopped after starting (they take no more tasks). */
  get exitedCount(): number {
    return this.#count(EXITED);
  }

  stats(): ThreadPoolStats {
    this.#spawnWanted();
    this.#noticeDeaths();
    return {
      workers: this.#active,
      readyWorkers: this.readyCount,
      failedWorkers: this.failedCount,
      exitedWorkers: this.exitedCount,
      jobs: this.#jobs,
      tasks: this.#tasks,
      workerTasks: Atomics.load(this.#ctrl, WORKER_TASKS),
      redoneTasks: this.#redone,
    };
  }

  #count(state: number): number {
    let n = 0;
    for (let w = 1; w <= this.#active; w++) if (Atomics.load(this.#ctrl, READY + w) === state) n++;
    return n;
  }

  /**
   * Uses `n` workers, starting any that do not exist yet or whose thread exited (they become
   * ready asynchronously). Workers beyond `n` stay parked in `Atomics.wait`, costing nothing,
   * until needed again.
   */
  resize(n: number): void {
    this.#drain();
    this.#active = Math.max(0, Math.min(MAX_WORKERS - 1, n));
    const ctrl = this.#ctrl;
    for (let w = 1; w <= Math.min(this.#active, this.#workers.length); w++) {
      if (Atomics.load(ctrl, READY + w) !== EXITED) continue;
      // Its thread is gone, so nothing else writes these words: start afresh in the same slot.
      for (const word of [READY, MBOX, ACK, KILL]) Atomics.store(ctrl, word + w, 0);
      const worker = this.#start(w);
      if (worker === null) Atomics.store(ctrl, READY + w, FAILED);
      this.#workers[w - 1] = worker;
    }
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
      const probe = tid > 1 && this.#probeFirst ? Atomics.load(this.#ctrl, READY + 1) : READY_STATE;
      if (probe === STARTING) return;
      const worker = probe !== FAILED ? this.#start(tid) : null; // a probe that ran and later exited proved workers can start
      if (worker === null) Atomics.store(this.#ctrl, READY + tid, FAILED);
      this.#workers.push(worker);
    }
  }

  /** Starts worker `tid`, or null where it cannot be started. */
  #start(tid: number): WorkerHandle | null {
    let worker: WorkerHandle | null = null;
    const data = {
      module: this.module,
      memory: this.memory,
      names: this.names,
      control: this.#ctrl.buffer,
      table: this.#table.buffer,
      claims: this.#claims.buffer,
      tid,
    };
    try {
      worker = spawn(data, () => {
        // a late event of a replaced worker or of a terminated pool concerns no one
        if (worker !== null && this.#workers[tid - 1] === worker && !this.#terminated) this.#lost(tid);
      });
    } catch {
      // e.g. an engine that refuses to send the module or memory to a worker
    }
    return worker;
  }

  /** Records that worker `tid` stopped (as the worker does itself) and wakes a waiting caller. */
  #lost(tid: number): void {
    const ctrl = this.#ctrl;
    const s = Atomics.load(ctrl, READY + tid);
    if (s < 0) return;
    Atomics.compareExchange(ctrl, READY + tid, s, s === READY_STATE ? EXITED : FAILED);
    Atomics.add(ctrl, DEATHS, 1);
    Atomics.notify(ctrl, DONE);
    Atomics.notify(ctrl, ACK + tid);
    Atomics.notify(ctrl, READY + tid);
  }

  /** Warns, once, when a worker's thread has stopped after starting. */
  #noticeDeaths(): void {
    const deaths = Atomics.load(this.#ctrl, DEATHS);
    if (deaths === this.#deathsSeen) return;
    this.#deathsSeen = deaths;
    const exited = this.exitedCount;
    if (exited > 0 && !this.#warned && !this.#terminated) {
      this.#warned = true;
      console.warn(
        `torchlet: ${exited} of ${this.#active} CPU worker thread(s) stopped. The tasks they had taken were redone on the ` +
          'remaining threads (results are unchanged) and the pool goes on without them: threadStats().exitedWorkers counts them, ' +
          'setNumThreads(n) starts replacements.',
      );
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
        if (Atomics.load(this.#ctrl, READY + w) === STARTING) Atomics.wait(this.#ctrl, READY + w, STARTING, 5);
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
    this.#noticeDeaths();
    const ctrl = this.#ctrl;
    const table = this.#table;
    const claims = this.#claims;
    for (let t = 0; t < n; t++) {
      const task = tasks[t]!;
      const o = t * ROW;
      for (let i = 0; i < task.length; i++) table[o + i] = task[i]!;
    }
    claims.fill(0, 0, n);
    Atomics.store(ctrl, FN, fn);
    Atomics.store(ctrl, COUNT, n);
    Atomics.store(ctrl, NEXT, 0);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, ERROR, 0);
    this.#jobs++;
    this.#tasks += n;
    const deaths = Atomics.load(ctrl, DEATHS);
    const gen = ++this.#gen;
    const helpers: number[] = [];
    for (let w = 1; w <= this.#active && helpers.length < n - 1; w++) {
      if (Atomics.load(ctrl, READY + w) !== READY_STATE) continue;
      helpers.push(w);
      Atomics.store(ctrl, MBOX + w, gen);
      Atomics.notify(ctrl, MBOX + w);
    }
    this.#pending = helpers;
    const kernel = this.kernels[fn]!;
    let failure: unknown;
    const runTask = (t: number): void => {
      try {
        if (failure === undefined) {
          const o = t * ROW;
          kernel(0, table[o]!, table[o + 1]!, table[o + 2]!, table[o + 3]!, table[o + 4]!, table[o + 5]!,
            table[o + 6]!, table[o + 7]!, table[o + 8]!, table[o + 9]!, table[o + 10]!, table[o + 11]!, table[o + 12]!);
        }
      } catch (e) {
        failure = e;
      }
      Atomics.store(claims, t, TASK_DONE);
      Atomics.add(ctrl, DONE, 1);
    };
    let t: number;
    while ((t = Atomics.add(ctrl, NEXT, 1)) < n) {
      if (Atomics.compareExchange(claims, t, 0, 1) === 0) runTask(t);
    }
    this.#finish(n, deaths, runTask);
    if (failure !== undefined) throw failure;
    if (Atomics.load(ctrl, ERROR) !== 0) throw new Error('cpu backend: a kernel failed on a worker thread');
  }

  /** Stops every worker (the pool is unusable afterwards). */
  terminate(): void {
    this.#drain();
    this.#terminated = true;
    for (let w = 1; w <= this.#workers.length; w++) {
      Atomics.store(this.#ctrl, READY + w, STARTING);
      Atomics.store(this.#ctrl, MBOX + w, -1);
      Atomics.notify(this.#ctrl, MBOX + w);
      this.#workers[w - 1]?.terminate();
    }
    this.#workers.length = 0;
    this.#active = 0;
  }

  /**
   * Fault injection for tests: worker `w` exits its thread now (`'now'`: when it next wakes,
   * or as it starts) or right after it claims its next task (`'next-task'`), as a thread that
   * dies mid-job would; null cancels.
   */
  exitWorker(w: number, when: 'now' | 'next-task' | null): void {
    Atomics.store(this.#ctrl, KILL + w, when === 'now' ? 1 : when === 'next-task' ? 2 : 0);
    if (when === 'now' && Atomics.load(this.#ctrl, READY + w) === READY_STATE) {
      // wake it with a job that is no job: it exits before looking at the task counter
      Atomics.store(this.#ctrl, MBOX + w, Atomics.load(this.#ctrl, MBOX + w) + 1);
      Atomics.notify(this.#ctrl, MBOX + w);
    }
  }

  /** Whether thread `w` (0 = this one) may still run a task (callers redo the tasks of the others). */
  #alive(claimer: number): boolean {
    return claimer === 0 || Atomics.load(this.#ctrl, READY + claimer) === READY_STATE;
  }

  /**
   * Waits until all `n` tasks are done. When a worker stopped meanwhile (DEATHS moved from
   * `deaths`), the tasks it had claimed (or that no thread has claimed) are claimed here and
   * run with `runTask`.
   */
  #finish(n: number, deaths: number, runTask: (t: number) => void): void {
    const ctrl = this.#ctrl;
    let last = Atomics.load(ctrl, DONE);
    // The workers' last tasks usually end within microseconds: spin before blocking.
    const spinUntil = performance.now() + SPIN_MS;
    while (last < n && performance.now() < spinUntil) last = Atomics.load(ctrl, DONE);
    let since = performance.now();
    while (last < n) {
      // once a worker stopped, DONE may never reach n (it can die between its last two stores): count claims
      if (Atomics.load(ctrl, DEATHS) !== deaths && this.#redo(n, runTask)) break;
      if (this.#blocking) Atomics.wait(ctrl, DONE, last, 20);
      const now = Atomics.load(ctrl, DONE);
      if (now !== last) {
        last = now;
        since = performance.now();
      } else if (performance.now() - since > STALL_MS) {
        for (let t = 0; t < n; t++) {
          const c = Atomics.load(this.#claims, t);
          if (c > 1) this.#giveUp(c - 1);
        }
        since = performance.now();
      }
    }
    this.#noticeDeaths();
  }

  /** Claims and runs every unfinished task whose claimer stopped; true when all `n` are done. */
  #redo(n: number, runTask: (t: number) => void): boolean {
    const claims = this.#claims;
    let done = true;
    for (let t = 0; t < n; t++) {
      const c = Atomics.load(claims, t);
      if (c === TASK_DONE) continue;
      // c = 0: a worker took the index and stopped before claiming it (or is about to claim it: then it finds it taken)
      if ((c === 0 || !this.#alive(c - 1)) && Atomics.compareExchange(claims, t, c, 1) === c) {
        runTask(t);
        this.#redone++;
      } else done = false;
    }
    return done;
  }

  /** A worker that made no progress for STALL_MS: stopped from here and treated as exited. */
  #giveUp(w: number): void {
    if (Atomics.load(this.#ctrl, READY + w) !== READY_STATE) return;
    this.#workers[w - 1]?.terminate();
    this.#lost(w);
  }

  /** Waits until every worker signalled for the last job has acknowledged it or stopped. */
  #drain(): void {
    const ctrl = this.#ctrl;
    for (const w of this.#pending) {
      const since = performance.now();
      let cur: number;
      while ((cur = Atomics.load(ctrl, ACK + w)) !== this.#gen && this.#alive(w)) {
        if (this.#blocking) Atomics.wait(ctrl, ACK + w, cur, 20);
        if (performance.now() - since > STALL_MS) this.#giveUp(w);
      }
    }
    this.#pending = [];
  }
}
