/** `Timer`: the Cookbook's wall-clock timer (`with Timer(): …`) with laps. */

const now = (): number => globalThis.performance.now();

/**
 * A stopwatch in milliseconds.
 *
 * ```ts
 * const timer = new Timer().start();
 * train();
 * console.log(`epoch took ${timer.stop().toFixed(1)} ms`);
 * const { result, ms } = Timer.time(() => evaluate());
 * ```
 */
export class Timer {
  #start: number | null = null;
  #accumulated = 0;
  #lapStart: number | null = null;
  readonly #clock: () => number;
  /** Lap durations, in order. */
  readonly laps: number[] = [];

  /** `clock` (default `performance.now`) can be injected for tests. */
  constructor(options: { clock?: () => number } = {}) {
    this.#clock = options.clock ?? now;
  }

  /** Starts (or resumes) timing; returns this timer. */
  start(): this {
    if (this.#start === null) {
      this.#start = this.#clock();
      this.#lapStart ??= this.#start;
    }
    return this;
  }

  /** Stops timing and returns the total elapsed milliseconds. */
  stop(): number {
    if (this.#start !== null) {
      this.#accumulated += this.#clock() - this.#start;
      this.#start = null;
    }
    return this.#accumulated;
  }

  /** Whether the timer is running. */
  get running(): boolean {
    return this.#start !== null;
  }

  /** Total elapsed milliseconds so far (running or stopped). */
  get elapsed(): number {
    return this.#accumulated + (this.#start === null ? 0 : this.#clock() - this.#start);
  }

  /** Records and returns the time since the previous lap (or the start). */
  lap(): number {
    const t = this.#clock();
    const d = t - (this.#lapStart ?? t);
    this.#lapStart = t;
    this.laps.push(d);
    return d;
  }

  /** Back to zero, stopped. */
  reset(): this {
    this.#start = null;
    this.#accumulated = 0;
    this.#lapStart = null;
    this.laps.length = 0;
    return this;
  }

  /** The elapsed time, e.g. `12.345 ms`. */
  toString(): string {
    return `${this.elapsed.toFixed(3)} ms`;
  }

  /** Runs `fn` and returns its result with the milliseconds it took (awaits a Promise). */
  static time<R>(fn: () => Promise<R>): Promise<{
    /** What `fn` resolved to. */
    result: R;
    /** Milliseconds until it resolved. */
    ms: number;
  }>;
  /** Runs a synchronous `fn` and returns its result with the milliseconds it took. */
  static time<R>(fn: () => R): {
    /** What `fn` returned. */
    result: R;
    /** Milliseconds it took. */
    ms: number;
  };
  static time<R>(fn: () => R | Promise<R>): { result: R; ms: number } | Promise<{ result: R; ms: number }> {
    const t0 = now();
    const result = fn();
    if (result instanceof Promise) return result.then((r) => ({ result: r, ms: now() - t0 }));
    return { result: result as R, ms: now() - t0 };
  }
}
