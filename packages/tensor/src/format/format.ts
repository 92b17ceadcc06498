/**
 * `toString()` as PyTorch prints tensors: `tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])`.
 * Float formatting follows torch/_tensor_str.py: integral values print as `1.`, otherwise
 * four decimals, switching to scientific notation for wide ranges; more than 1000
 * elements are summarised with `...`.
 */
import type { DType } from '@torchlet/backend';
import { Tensor } from '../core/tensor.js';

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

interface Formatter {
  width: number;
  format(v: number): string;
}

function floatFormatter(values: ArrayLike<number>): Formatter {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) finite.push(v);
  }
  let fmt: (v: number) => string;
  if (finite.length === 0) fmt = (v) => String(v);
  else {
    const abs = finite.map(Math.abs).filter((v) => v !== 0);
    const maxAbs = abs.length ? Math.max(...abs) : 0;
    const minAbs = abs.length ? Math.min(...abs) : 0;
    const integral = finite.every((v) => Number.isInteger(v));
    if (integral) {
      fmt = maxAbs > 1e8 ? (v) => v.toExponential(PRECISION) : (v) => `${v.toFixed(0)}.`;
    } else if (maxAbs / (minAbs || 1) > 1000 || maxAbs > 1e8 || (minAbs < 1e-4 && minAbs > 0)) {
      fmt = (v) => v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2');
    } else {
      fmt = (v) => v.toFixed(PRECISION);
    }
  }
  const special = (v: number): string => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  const format = (v: number): string => (Number.isFinite(v) ? fmt(v) : special(v));
  let width = 0;
  for (let i = 0; i < values.length; i++) width = Math.max(width, format(values[i]!).length);
  return { width, format };
}

function makeFormatter(dtype: DType, values: ArrayLike<number>): Formatter {
  if (dtype === 'bool') return { width: 5, format: (v) => (v ? 'True' : 'False') };
  if (dtype === 'int32') {
    let width = 0;
    for (let i = 0; i < values.length; i++) width = Math.max(width, String(values[i]).length);
    return { width, format: (v) => String(v) };
  }
  return floatFormatter(values);
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** The indices of a dimension that are printed (all, or the edges around `...`). */
function shownIndices(n: number, summarize: boolean): (number | null)[] {
  if (!summarize || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i);
  const head = Array.from({ length: EDGE_ITEMS }, (_, i) => i);
  const tail = Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i);
  return [...head, null, ...tail];
}

function formatBlock(
  values: ArrayLike<number>,
  shape: readonly number[],
  st: readonly number[],
  dim: number,
  base: number,
  indent: number,
  fmt: Formatter,
  summarize: boolean,
): string {
  const idx = shownIndices(shape[dim]!, summarize);
  if (dim === shape.length - 1) {
    const items = idx.map((i) => (i === null ? '...' : fmt.format(values[base + i * st[dim]!]!).padStart(fmt.width)));
    // Wrap long rows as PyTorch does.
    const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (fmt.width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const sep = `,${'\n'.repeat(shape.length - dim - 1)}${' '.repeat(indent + 1)}`;
  const parts = idx.map((i) =>
    i === null ? '...' : formatBlock(values, shape, st, dim + 1, base + i * st[dim]!, indent + 1, fmt, summarize),
  );
  return `[${parts.join(sep)}]`;
}

/** Formats host values laid out contiguously in `shape`, PyTorch-style, with the `tensor(` prefix. */
export function formatTensor(values: ArrayLike<number>, shape: readonly number[], dtype: DType, suffixes: string[]): string {
  const summarize = values.length > THRESHOLD;
  const prefix = 'tensor(';
  let body: string;
  if (shape.length === 0) body = makeFormatter(dtype, values).format(values[0]!);
  else if (values.length === 0) body = '[]';
  else body = formatBlock(values, shape, strides(shape), 0, 0, prefix.length, makeFormatter(dtype, values), summarize);
  const extra = [...suffixes];
  if (values.length === 0 && shape.length > 1) extra.unshift(`size=(${shape.join(', ')})`);
  return `${prefix}${body}${extra.length ? `, ${extra.join(', ')}` : ''})`;
}

const TORCH_DTYPE: Record<DType, string> = {
  float32: 'torch.float32',
  float64: 'torch.float64',
  int32: 'torch.int32',
  bool: 'torch.bool',
  float16: 'torch.float16',
};

function suffixesOf(t: Tensor): string[] {
  const out: string[] = [];
  if (t.device !== 'cpu') out.push(`device='${t.device}'`);
  // float32, int32 (our default integer type) and bool print without a dtype, as the defaults do in PyTorch.
  if (t.dtype === 'float64' || t.dtype === 'float16') out.push(`dtype=${TORCH_DTYPE[t.dtype]}`);
  if (t.gradFn) out.push(`grad_fn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) out.push('requires_grad=True');
  return out;
}

declare module '../core/tensor.js' {
  interface Tensor {
    /** PyTorch's repr. On devices without synchronous reads, prints shape and dtype only (use `await t.format()`). */
    toString(): string;
    /** PyTorch's repr on every device. */
    format(): Promise<string>;
    /** Nested arrays of numbers (booleans for bool tensors); synchronous devices only. */
    tolist(): unknown;
  }
}

function nest(values: ArrayLike<number>, shape: readonly number[], dtype: DType): unknown {
  const conv = dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
  if (shape.length === 0) return conv(values[0]!);
  const st = strides(shape);
  const build = (dim: number, base: number): unknown[] =>
    Array.from({ length: shape[dim]! }, (_, i) =>
      dim === shape.length - 1 ? conv(values[base + i]!) : build(dim + 1, base + i * st[dim]!),
    );
  return build(0, 0);
}

Tensor.prototype.toString = function () {
  if (this.isDisposed) return `tensor(<disposed>, shape=[${this.shape.join(', ')}])`;
  if (!this.backend.canReadSync) return `tensor(<${this.device}>, shape=[${this.shape.join(', ')}], dtype=${TORCH_DTYPE[this.dtype]})`;
  return formatTensor(this.dataSync(), this.shape, this.dtype, suffixesOf(this));
};

Tensor.prototype.format = async function () {
  return formatTensor(await this.data(), this.shape, this.dtype, suffixesOf(this));
};

Tensor.prototype.tolist = function () {
  return nest(this.dataSync(), this.shape, this.dtype);
};

// Node's console.log / util.inspect print the PyTorch repr too.
(Tensor.prototype as unknown as Record<symbol, unknown>)[Symbol.for('nodejs.util.inspect.custom')] = function (this: Tensor) {
  return this.toString();
};
