/**
 * A terminal progress bar for epochs and batches (in the spirit of tqdm): count, percent,
 * rate, ETA and a running loss, redrawn in place with `\r`. Quiet when the stream is not a
 * terminal (CI logs, pipes) unless forced.
 */

/** The part of a writable stream the bar needs (`process.stdout`, `process.stderr`, a test double). */
export interface ProgressStream {
  /** Writes text without a newline. */
  write(text: string): unknown;
  /** Whether it is a terminal (the bar draws only there unless forced). */
  readonly isTTY?: boolean;
  /** The terminal's width in characters. */
  readonly columns?: number;
}

/** Options of `ProgressBar`. */
export interface ProgressBarOptions {
  /** Steps in all (omit for an open-ended counter: no bar, no ETA). */
  total?: number;
  /** Text before the bar, e.g. `epoch 3/10`. */
  label?: string;
  /** Where to draw (default `process.stdout` when it exists). */
  stream?: ProgressStream;
  /** Draw even when the stream is not a TTY (`true`), or never (`false`). Default: only on a TTY. */
  enabled?: boolean;
  /** Bar width in characters (default: fits the terminal, at most 30). */
  width?: number;
  /** Least time between redraws in ms (default 100; the final state is always drawn). */
  minIntervalMs?: number;
  /** Unit name for the rate (default `it`). */
  unit?: string;
  /** The clock in ms (default `performance.now`; injectable for tests). */
  clock?: () => number;
}

function fmtTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function fmtRate(rate: number, unit: string): string {
  if (!Number.isFinite(rate) || rate <= 0) return `? ${unit}/s`;
  if (rate >= 1) return `${rate >= 100 ? rate.toFixed(0) : rate.toFixed(2)} ${unit}/s`;
  return `${(1 / rate).toFixed(2)} s/${unit}`;
}

function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

/**
 * ```ts
 * const bar = new ProgressBar({ total: loader.length, label: `epoch ${epoch}` });
 * for (const [x, y] of loader) { const loss = step(x, y); bar.update(1, { loss }); }
 * bar.close();
 * // epoch 1  42%|████████▍           | 420/1000 [00:05<00:07, 80.12 it/s, loss=0.4312]
 * ```
 */
export class ProgressBar {
  /** Steps in all (undefined: an open-ended counter). */
  readonly total: number | undefined;
  /** Text before the bar. */
  readonly label: string;
  /** Whether the bar draws. */
  readonly enabled: boolean;
  #n = 0;
  #lossSum = 0;
  #lossCount = 0;
  #postfix: Record<string, number | string> = {};
  readonly #stream: ProgressStream | undefined;
  readonly #width: number | undefined;
  readonly #minInterval: number;
  readonly #unit: string;
  readonly #clock: () => number;
  readonly #start: number;
  #lastDraw = -Infinity;
  #lastLen = 0;
  #closed = false;

  constructor(options: ProgressBarOptions = {}) {
    if (options.total !== undefined && !(Number.isInteger(options.total) && options.total >= 0)) {
      throw new RangeError(`ProgressBar: total must be a non-negative integer (got ${options.total})`);
    }
    this.total = options.total;
    this.label = options.label ?? '';
    const proc = (globalThis as { process?: { stdout?: ProgressStream } }).process;
    this.#stream = options.stream ?? proc?.stdout;
    this.enabled = options.enabled ?? Boolean(this.#stream?.isTTY);
    this.#width = options.width;
    this.#minInterval = options.minIntervalMs ?? 100;
    this.#unit = options.unit ?? 'it';
    this.#clock = options.clock ?? (() => performance.now());
    this.#start = this.#clock();
  }

  /** Steps done. */
  get n(): number {
    return this.#n;
  }

  /** Mean of the losses passed to `update` so far (NaN before the first). */
  get runningLoss(): number {
    return this.#lossCount === 0 ? Number.NaN : this.#lossSum / this.#lossCount;
  }

  /** Steps per second so far. */
  get rate(): number {
    const s = (this.#clock() - this.#start) / 1000;
    return s > 0 ? this.#n / s : Number.NaN;
  }

  /** Seconds left at the current rate (NaN without a total). */
  get eta(): number {
    if (this.total === undefined) return Number.NaN;
    const r = this.rate;
    return r > 0 ? (this.total - this.#n) / r : Number.NaN;
  }

  /**
   * Advances by `steps`; `loss` joins the running mean, other keys are shown as they are
   * (`{ loss, lr: 0.01 }`).
   */
  update(steps = 1, values: { loss?: number; [key: string]: number | string | undefined } = {}): void {
    if (this.#closed) return;
    this.#n += steps;
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) continue;
      if (k === 'loss' && typeof v === 'number') {
        this.#lossSum += v;
        this.#lossCount++;
      } else this.#postfix[k] = v;
    }
    const t = this.#clock();
    const done = this.total !== undefined && this.#n >= this.total;
    if (done || t - this.#lastDraw >= this.#minInterval) this.#draw(t);
  }

  /** The current line (what is drawn), without control characters. */
  render(t: number = this.#clock()): string {
    const elapsed = (t - this.#start) / 1000;
    const rate = elapsed > 0 ? this.#n / elapsed : Number.NaN;
    const extras = [fmtRate(rate, this.#unit)];
    if (this.#lossCount > 0) extras.push(`loss=${fmtValue(this.runningLoss)}`);
    for (const [k, v] of Object.entries(this.#postfix)) extras.push(`${k}=${typeof v === 'number' ? fmtValue(v) : v}`);
    const prefix = this.label ? `${this.label} ` : '';
    if (this.total === undefined) return `${prefix}${this.#n} ${this.#unit} [${fmtTime(elapsed)}, ${extras.join(', ')}]`;
    const frac = this.total === 0 ? 1 : Math.min(1, this.#n / this.total);
    const eta = rate > 0 ? (this.total - this.#n) / rate : Number.NaN;
    const head = `${prefix}${String(Math.floor(frac * 100)).padStart(3)}%|`;
    const tail = `| ${this.#n}/${this.total} [${fmtTime(elapsed)}<${fmtTime(eta)}, ${extras.join(', ')}]`;
    const cols = this.#stream?.columns ?? 80;
    const width = this.#width ?? Math.max(10, Math.min(30, cols - head.length - tail.length - 1));
    const eighths = Math.round(frac * width * 8);
    const full = Math.floor(eighths / 8);
    const part = eighths % 8;
    const bar = '█'.repeat(full) + (part > 0 ? ' ▏▎▍▌▋▊▉'[part]! : '');
    return head + bar.padEnd(width) + tail;
  }

  #draw(t: number): void {
    this.#lastDraw = t;
    if (!this.enabled || !this.#stream) return;
    const line = this.render(t);
    const pad = this.#lastLen > line.length ? ' '.repeat(this.#lastLen - line.length) : '';
    this.#lastLen = line.length;
    this.#stream.write(`\r${line}${pad}`);
  }

  /** Draws the final state and ends the line. */
  close(): void {
    if (this.#closed) return;
    this.#draw(this.#clock());
    this.#closed = true;
    if (this.enabled && this.#stream) this.#stream.write('\n');
  }

  /**
   * Wraps an iterable (sync or async, e.g. a `DataLoader`): one step per element, closed at
   * the end (or on `break`). The total defaults to the iterable's `length`.
   */
  static wrap<T>(iterable: Iterable<T> & AsyncIterable<T>, options?: ProgressBarOptions): Iterable<T> & AsyncIterable<T> & {
    /** The bar the iteration drives. */
    bar: ProgressBar;
  };
  static wrap<T>(iterable: Iterable<T>, options?: ProgressBarOptions): Iterable<T> & {
    /** The bar the iteration drives. */
    bar: ProgressBar;
  };
  static wrap<T>(iterable: AsyncIterable<T>, options?: ProgressBarOptions): AsyncIterable<T> & {
    /** The bar the iteration drives. */
    bar: ProgressBar;
  };
  static wrap<T>(iterable: Iterable<T> | AsyncIterable<T>, options: ProgressBarOptions = {}): { bar: ProgressBar } {
    let total = options.total;
    if (total === undefined) {
      try {
        const len = (iterable as { length?: unknown }).length;
        if (typeof len === 'number') total = len;
      } catch {
        // no length (an IterableDataset without one)
      }
    }
    const bar = new ProgressBar({ ...options, total });
    const out: { bar: ProgressBar; [Symbol.iterator]?: () => Iterator<T>; [Symbol.asyncIterator]?: () => AsyncIterator<T> } = { bar };
    if (Symbol.iterator in iterable) {
      out[Symbol.iterator] = function* () {
        try {
          for (const x of iterable as Iterable<T>) {
            yield x;
            bar.update(1);
          }
        } finally {
          bar.close();
        }
      };
    }
    if (Symbol.asyncIterator in iterable) {
      out[Symbol.asyncIterator] = async function* () {
        try {
          for await (const x of iterable as AsyncIterable<T>) {
            yield x;
            bar.update(1);
          }
        } finally {
          bar.close();
        }
      };
    }
    return out;
  }
}
