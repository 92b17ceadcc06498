import type { TensorView } from '@torchlet/backend';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { CpuBuffer } from '../buffer.js';
import { CpuBackend } from '../cpu-backend.js';
import { rng } from '../../test/helpers.js';
import { I32, ModuleBuilder } from './encoder.js';
import { wasmFeatures } from './features.js';
import { getNumThreads, setNumThreads, threadStats, wasmRuntime, whenThreadsReady } from './runtime.js';
import { ThreadPool } from './thread-pool.js';

/** Blocks until `cond()` holds (it is about to: a worker's exit is under way), at most `ms`. */
function waitFor(cond: () => boolean, ms = 10_000): void {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const until = performance.now() + ms;
  while (!cond() && performance.now() < until) Atomics.wait(nap, 0, 0, 1);
  expect(cond()).toBe(true);
}

/** A module with `f(tid, addr)`: stores tid + 1 at addr. */
function markModule(): WebAssembly.Module {
  const m = new ModuleBuilder();
  m.importMemory({ module: 'env', name: 'memory', initial: 1, maximum: 1, shared: true });
  const f = m.func([I32, I32], [], 'f');
  const [tid, addr] = f.params;
  f.code.get(addr!).get(tid!).i32(1).op('i32.add').mem('i32.store');
  return new WebAssembly.Module(m.encode());
}

const threads = wasmFeatures().simd && wasmFeatures().sharedMemory;
const saved = getNumThreads();
afterAll(() => setNumThreads(saved));

describe('setNumThreads', () => {
  it('refuses a non-number with a TypeError that quotes it (as torch.set_num_threads("2")), a bad number with a RangeError', () => {
    expect(() => setNumThreads('2' as unknown as number)).toThrow(new TypeError('setNumThreads(n): n must be a number, got the string "2"'));
    expect(() => setNumThreads(null as unknown as number)).toThrow(TypeError);
    expect(() => setNumThreads(0)).toThrow(new RangeError('setNumThreads(n): n must be a positive integer, got 0'));
    expect(() => setNumThreads(1.5)).toThrow(RangeError);
    expect(getNumThreads()).toBe(saved);
  });
});

describe.runIf(threads)('cpu thread pool (worker_threads over the shared heap)', () => {
  const rt = wasmRuntime()!;
  // 64 tasks of exp over 16 Ki floats each: long enough for a woken worker to claim some
  const TASKS = 64;
  const COLS = 1 << 14;
  const x = rt.heap.alloc(TASKS * COLS * 4);
  const y = rt.heap.alloc(TASKS * COLS * 4);
  afterAll(() => {
    rt.heap.free(x);
    rt.heap.free(y);
  });
  const xs = rt.view('float32', x, TASKS * COLS);
  for (let i = 0; i < xs.length; i++) xs[i] = Math.sin(i * 0.01);
  const tasks = Array.from({ length: TASKS }, (_, t) => [x + t * COLS * 4, y + t * COLS * 4, 1, COLS, 0, 0]);
  const result = (): Float32Array => Float32Array.from(rt.view('float32', y, TASKS * COLS) as Float32Array);
  /** Elements that differ bitwise (NaN only where both are NaN), without a slow deep equality. */
  const mismatches = (a: Float32Array, b: Float32Array): number => {
    let n = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) n++;
    return n;
  };

  it('shares a job with the workers: the results equal one thread', async () => {
    setNumThreads(1);
    rt.run('un_exp', tasks, true);
    const single = result();
    expect(threadStats()).toMatchObject({ sharedMemory: true, threads: 1, usableThreads: 1 });

    setNumThreads(2);
    expect(await whenThreadsReady()).toBe(true);
    const before = threadStats()!;
    expect(before).toMatchObject({ threads: 2, usableThreads: 2, workers: 1, readyWorkers: 1, failedWorkers: 0 });
    // Which thread claims which task is the scheduler's business (a loaded machine may let the
    // caller take them all); the test below shows deterministically that workers do take tasks.
    const jobs = 3;
    for (let j = 0; j < jobs; j++) {
      new Float32Array(rt.heap.memory.buffer, y, TASKS * COLS).fill(NaN);
      rt.run('un_exp', tasks, true);
      expect(mismatches(result(), single)).toBe(0);
    }
    const after = threadStats()!;
    expect(after.jobs - before.jobs).toBe(jobs);
    expect(after.tasks - before.tasks).toBe(jobs * TASKS);
    expect(after.workerTasks - before.workerTasks).toBeLessThanOrEqual(jobs * TASKS);
  });

  it('runs on the calling thread alone with setNumThreads(1): the pool is not used', () => {
    setNumThreads(1);
    const before = threadStats()!;
    rt.run('un_exp', tasks, true);
    expect(threadStats()).toMatchObject({ usableThreads: 1, workers: 0, jobs: before.jobs, workerTasks: before.workerTasks });
  });

  it('a worker takes a task when the caller is busy with another (deterministic: no race with the caller)', async () => {
    // f(tid, addr) stores tid + 1 at addr. The caller's own kernel does not return until some
    // worker has stored its mark for the other task, so that task can only have gone to a worker.
    const m = new ModuleBuilder();
    m.importMemory({ module: 'env', name: 'memory', initial: 1, maximum: 1, shared: true });
    const f = m.func([I32, I32], [], 'f');
    const [tid, addr] = f.params;
    f.code.get(addr!).get(tid!).i32(1).op('i32.add').mem('i32.store');
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const marks = new Int32Array(memory.buffer, 0, 2);
    const caller = (_tid: number, a: number): void => {
      const other = a === 0 ? 1 : 0;
      const until = performance.now() + 30_000;
      while (Atomics.load(marks, other) === 0 && performance.now() < until);
      Atomics.store(marks, a / 4, 1);
    };
    const pool = new ThreadPool(new WebAssembly.Module(m.encode()), memory, ['f'], [caller]);
    try {
      pool.resize(1);
      expect(await pool.whenReady(10_000)).toBe(true);
      pool.run(0, [[0], [4]]);
      // one mark written by the caller (1), the other by worker 1 (tid 1 → 2)
      expect([...marks].sort()).toEqual([1, 2]);
      expect(pool.stats()).toMatchObject({ jobs: 1, tasks: 2, workerTasks: 1 });
    } finally {
      pool.terminate();
    }
  });

  it('a worker that exits holding a task: the caller redoes it, the pool goes on without the worker, one warning, and no wait for it', () => {
    // Deterministic: the caller's kernel does not return until the worker has claimed the other
    // task and exited, so that task can only be finished by the redo (counted in redoneTasks).
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const marks = new Int32Array(memory.buffer, 0, 2);
    const caller = (_tid: number, a: number): void => {
      waitFor(() => pool.exitedCount === 1, 30_000);
      Atomics.store(marks, a / 4, 1);
    };
    const pool = new ThreadPool(markModule(), memory, ['f'], [caller]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      pool.resize(1);
      expect(pool.waitReady(10_000)).toBe(true);
      pool.exitWorker(1, 'next-task');
      pool.run(0, [[0], [4]]);
      expect([...marks]).toEqual([1, 1]); // both by the caller (mark 1): the worker ran none
      expect(pool.stats()).toMatchObject({ workers: 1, readyWorkers: 0, exitedWorkers: 1, jobs: 1, tasks: 2, workerTasks: 0, redoneTasks: 1 });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/1 of 1 CPU worker thread\(s\) stopped.*redone.*setNumThreads/);
      // later jobs run on the caller alone, without waiting for the dead worker
      marks.fill(0);
      pool.run(0, [[0], [4]]);
      expect([...marks]).toEqual([1, 1]);
      expect(warn).toHaveBeenCalledTimes(1);
      // resizing starts a replacement, which takes tasks again
      pool.resize(1);
      expect(pool.waitReady(10_000)).toBe(true);
      expect(pool.stats()).toMatchObject({ readyWorkers: 1, exitedWorkers: 0 });
    } finally {
      warn.mockRestore();
      pool.terminate();
    }
  });

  it('a worker that exits while idle is noticed without the event loop: the next job runs on the rest', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const marks = new Int32Array(memory.buffer, 0, 3);
    const caller = (_tid: number, a: number): void => void Atomics.store(marks, a / 4, 1);
    const pool = new ThreadPool(markModule(), memory, ['f'], [caller]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      pool.resize(2);
      expect(pool.waitReady(10_000)).toBe(true);
      pool.exitWorker(2, 'now');
      waitFor(() => pool.exitedCount === 1); // synchronously: no 'exit' event can arrive here
      pool.run(0, [[0], [4], [8]]);
      expect(marks.every((m) => m === 1 || m === 2)).toBe(true); // by the caller (1) or worker 1 (2), none by worker 2
      expect(pool.stats()).toMatchObject({ workers: 2, readyWorkers: 1, exitedWorkers: 1, redoneTasks: 0 });
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
      pool.terminate();
    }
  });

  it('a worker that exits as it starts counts as failed at once: whenReady does not wait for its timeout', async () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const pool = new ThreadPool(markModule(), memory, ['f'], [() => {}]);
    try {
      pool.exitWorker(1, 'now');
      pool.resize(1);
      // a minute's timeout: waiting it out would fail this test by its own timeout
      expect(await pool.whenReady(60_000)).toBe(false);
      expect(pool.stats()).toMatchObject({ workers: 1, readyWorkers: 0, failedWorkers: 1, exitedWorkers: 0 });
    } finally {
      pool.terminate();
    }
  });

  it('a large matmul after a worker exited (idle, or holding a task) equals the single-thread result', () => {
    const be = new CpuBackend({ kernels: 'wasm' });
    const gen = rng(3);
    const [M, K, N] = [256, 384, 320];
    const mat = (r: number, c: number): TensorView => {
      const buffer = be.alloc('float32', r * c);
      for (let i = 0; i < r * c; i++) buffer.data[i] = gen() * 2 - 1;
      return { buffer, dtype: 'float32', shape: [r, c], strides: [c, 1], offset: 0 };
    };
    const a = mat(M, K);
    const b = mat(K, N);
    const c = mat(M, N);
    const matmul = (): Float32Array => {
      be.matmul(a, b, c);
      return Float32Array.from((c.buffer as CpuBuffer).data as Float32Array);
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      setNumThreads(1);
      const single = matmul();
      for (const when of ['now', 'next-task'] as const) {
        setNumThreads(3); // replaces any worker that exited
        expect(rt.waitForThreads()).toBe(true);
        const pool = rt.pool()!;
        pool.exitWorker(1, when);
        if (when === 'now') waitFor(() => pool.exitedCount === 1);
        // with 'next-task' the worker dies if it takes one of this job's tasks: either way the same result
        expect(mismatches(matmul(), single)).toBe(0);
        expect(mismatches(matmul(), single)).toBe(0);
        pool.exitWorker(1, null);
      }
    } finally {
      warn.mockRestore();
      for (const v of [a, b, c]) be.free(v.buffer);
    }
  });

  it('counts a worker that cannot start as failed and runs every task on the calling thread', async () => {
    // a module importing a function the workers do not provide: instantiation fails there
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 9, 1, 3, 0x65, 0x6e, 0x76, 1, 0x66, 0, 0]);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    let calls = 0;
    const pool = new ThreadPool(new WebAssembly.Module(bytes), memory, ['f'], [() => calls++]);
    try {
      pool.resize(1);
      expect(await pool.whenReady(10_000)).toBe(false);
      expect(pool.stats()).toMatchObject({ workers: 1, readyWorkers: 0, failedWorkers: 1 });
      expect(pool.waitReady(100)).toBe(false);
      pool.run(0, [[1], [2], [3]]);
      expect(calls).toBe(3);
      expect(pool.stats()).toMatchObject({ jobs: 1, tasks: 3, workerTasks: 0 });
    } finally {
      pool.terminate();
    }
  });
});
