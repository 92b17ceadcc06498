/**
 * An op-level profiler: `profile(fn)` times every op call made while `fn` runs, by op
 * name, through the tensor core's interceptor chain (order 300: after autograd and anomaly
 * detection, so it times the op itself plus any recording).
 */
import { addInterceptor, type Interceptor } from '@torchlet/tensor';

/** One op's totals. */
export interface OpStats {
  /** The op's registered name. */
  readonly name: string;
  /** Calls of this op (nested calls from composites included). */
  readonly calls: number;
  /** Wall time inside the op, children included (ms). */
  readonly totalMs: number;
  /** Wall time inside the op minus the ops it called (ms). */
  readonly selfMs: number;
}

/** What `profile` returns besides `fn`'s result. */
export interface ProfileReport {
  /** Per op, by descending self time. */
  readonly ops: readonly OpStats[];
  /** Wall time of the whole `fn` (ms). */
  readonly totalMs: number;
  /** Calls of all ops. */
  readonly calls: number;
  /** The stats of one op by name, if it ran. */
  get(name: string): OpStats | undefined;
  /** A fixed-width table, like `torch.profiler`'s `key_averages().table()`. */
  table(options?: { limit?: number }): string;
}

interface Acc {
  calls: number;
  total: number;
  self: number;
}

interface Session {
  readonly stats: Map<string, Acc>;
}

const sessions: Session[] = [];
const childTime: number[] = []; // per open op frame: time spent in nested ops
let remove: (() => void) | null = null;

const interceptor: Interceptor = {
  name: 'profiler',
  order: 300,
  intercept(call, next) {
    const t0 = performance.now();
    childTime.push(0);
    let out;
    try {
      out = next();
    } finally {
      const dt = performance.now() - t0;
      const children = childTime.pop()!;
      if (childTime.length > 0) childTime[childTime.length - 1]! += dt;
      const name = call.op.name;
      for (const s of sessions) {
        let a = s.stats.get(name);
        if (!a) s.stats.set(name, (a = { calls: 0, total: 0, self: 0 }));
        a.calls++;
        a.total += dt;
        a.self += dt - children;
      }
    }
    return out;
  },
};

function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(3) : ms.toFixed(4);
}

function report(stats: Map<string, Acc>, totalMs: number): ProfileReport {
  const ops: OpStats[] = [...stats.entries()]
    .map(([name, a]) => ({ name, calls: a.calls, totalMs: a.total, selfMs: a.self }))
    .sort((x, y) => y.selfMs - x.selfMs || x.name.localeCompare(y.name));
  const calls = ops.reduce((s, o) => s + o.calls, 0);
  return {
    ops,
    totalMs,
    calls,
    get: (name) => ops.find((o) => o.name === name),
    table(options = {}) {
      const rows = ops.slice(0, options.limit ?? ops.length);
      const selfTotal = ops.reduce((s, o) => s + o.selfMs, 0) || 1;
      const header = ['op', 'calls', 'self ms', 'self %', 'total ms', 'avg µs'];
      const body = rows.map((o) => [o.name, String(o.calls), fmtMs(o.selfMs), `${((100 * o.selfMs) / selfTotal).toFixed(1)}%`, fmtMs(o.totalMs), ((1000 * o.totalMs) / o.calls).toFixed(1)]);
      const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
      const line = (cells: string[]): string => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join('  ');
      return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), `${calls} op calls, ${fmtMs(totalMs)} ms wall`].join('\n');
    },
  };
}

/**
 * Runs `fn` and reports time and calls per op name. Synchronous only (ops are synchronous;
 * a callback that returns a Promise would leave the profiler on across `await`s, so it is
 * refused). Nested `profile` calls each see their own ops.
 *
 * ```ts
 * const { result, report } = profile(() => model.forward(x));
 * console.log(report.table({ limit: 10 }));
 * ```
 */
export function profile<R>(fn: () => R): {
  /** What `fn` returned. */
  result: R;
  /** Time and calls per op. */
  report: ProfileReport;
} {
  const session: Session = { stats: new Map() };
  sessions.push(session);
  if (!remove) remove = addInterceptor(interceptor);
  const t0 = performance.now();
  let result: R;
  try {
    result = fn();
  } finally {
    sessions.splice(sessions.indexOf(session), 1);
    if (sessions.length === 0 && remove) {
      remove();
      remove = null;
    }
  }
  const totalMs = performance.now() - t0;
  if (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function') {
    throw new TypeError('profile(fn): fn returned a Promise; the profiler is a synchronous scope. Profile the synchronous part (ops are synchronous; only reads are async).');
  }
  return { result, report: report(session.stats, totalMs) };
}
