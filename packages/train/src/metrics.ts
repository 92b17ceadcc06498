/**
 * Metrics for `fit`: functions of one batch's output and target giving a number (or a 1-element
 * tensor, or a promise of either); an epoch's value is their mean over the batches weighted by
 * batch size. Built in by name: `accuracy` (class scores [N, C] against class indices [N]),
 * `mae` and `mse`.
 */
import * as torch from '@torchlet/tensor';
import { ValueError, type Tensor } from '@torchlet/tensor';

export type MetricValue = number | Tensor | Promise<number>;
export type MetricFn = (output: Tensor, target: Tensor) => MetricValue;

/** Fraction of rows whose largest score is at the target class (counted in int32, so exact). */
export async function accuracy(output: Tensor, target: Tensor): Promise<number> {
  if (output.ndim < 2 || output.shape[output.ndim - 1]! < 2) {
    throw new ValueError(`accuracy: expected class scores [N, C] (C ≥ 2), got [${output.shape.join(', ')}]; pass your own metric for other outputs`);
  }
  const hits = torch.tidy(() => torch.sum(torch.eq(torch.argmax(output, -1), target).int()));
  try {
    return (await hits.data())[0]! / Math.max(1, target.numel());
  } finally {
    hits.dispose();
  }
}

/** Mean absolute error. */
export function mae(output: Tensor, target: Tensor): Tensor {
  return torch.tidy(() => torch.mean(torch.abs(torch.sub(output, target))));
}

/** Mean squared error. */
export function mse(output: Tensor, target: Tensor): Tensor {
  return torch.tidy(() => torch.mean(torch.square(torch.sub(output, target))));
}

export const BUILTIN_METRICS: Readonly<Record<string, MetricFn>> = { accuracy, mae, mse };

/** `metrics` as given to `fit` (built-in names, or a record of functions by name) as [name, fn] pairs. */
export function resolveMetrics(metrics: readonly string[] | Readonly<Record<string, MetricFn>> | undefined): [string, MetricFn][] {
  if (!metrics) return [];
  const pairs: [string, MetricFn][] = Array.isArray(metrics)
    ? (metrics as readonly string[]).map((n) => {
        const fn = BUILTIN_METRICS[n];
        if (!fn) throw new ValueError(`fit: unknown metric '${n}' (built in: ${Object.keys(BUILTIN_METRICS).join(', ')}; pass { name: fn } for your own)`);
        return [n, fn];
      })
    : Object.entries(metrics as Record<string, MetricFn>);
  for (const [n, fn] of pairs) {
    if (typeof fn !== 'function') throw new ValueError(`fit: metric '${n}' is not a function`);
    if (n === 'loss' || n.startsWith('val_') || n === 'lr' || n === 'epoch') throw new ValueError(`fit: metric name '${n}' is reserved`);
  }
  return pairs;
}

/** A metric's value as a number (reads a tensor, awaits a promise, disposes what it read). */
export async function metricNumber(v: MetricValue): Promise<number> {
  if (typeof v === 'number') return v;
  if (v instanceof Promise) return v;
  const t = v as Tensor;
  try {
    if (t.numel() !== 1) throw new ValueError(`fit: a metric returned a tensor of shape [${t.shape.join(', ')}]; expected one value`);
    return (await t.data())[0]!;
  } finally {
    t.dispose();
  }
}
