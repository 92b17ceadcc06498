/**
 * `toString()` as PyTorch prints tensors: `tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])`.
 * Float formatting follows torch/_tensor_str.py: integral values print as `1.`, otherwise
 * four decimals, switching to scientific notation for wide ranges; more than 1000
 * elements are summarised with `...`.
 */
import type { DType } from '@torchlet/backend';
import { DeviceError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

interface Formatter {
  width: number;
  format(v: number): string;
}

function special(v: number): string {
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

/**
 * Python's round-half-even on the exact binary value, where JavaScript's `toFixed` and
 * `toExponential` round exact ties away from zero (`'{:.2f}'.format(0.125)` is `0.12`).
 * A tie shows as a digit 5 followed only by zeros in a longer exact expansion.
 */
function halfEven(rounded: string, exact: string, keep: number): string {
  // `exact` has `keep` kept digits, then the rest; both strings share sign and layout.
  const rest = exact.slice(keep).replace(/e.*$/, '');
  if (!/^50*$/.test(rest)) return rounded;
  const truncated = exact.slice(0, keep) + exact.slice(exact.length - (exact.match(/e.*$/)?.[0].length ?? 0));
  const lastKept = exact.slice(0, keep).replace(/\D/g, '').slice(-1);
  return Number(lastKept) % 2 === 0 ? truncated : rounded;
}

/** `'{:.<d>f}'.format(v)`. */
function pyFixed(v: number, digits: number): string {
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  const rounded = a.toFixed(digits);
  const exact = a.toFixed(Math.min(100, digits + 40));
  const keep = exact.indexOf('.') + (digits > 0 ? digits + 1 : 0);
  const body = digits > 0 ? halfEven(rounded, exact, keep) : halfEven(rounded, exact.replace('.', ''), exact.indexOf('.'));
  return neg ? `-${body}` : body;
}

/** `'{:.<d>e}'.format(v)`: exponent with a sign and at least two digits. */
function pyExp(v: number, digits: number): string {
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  const rounded = a.toExponential(digits);
  const exact = a.toExponential(Math.min(100, digits + 40));
  const body = halfEven(rounded, exact, digits + 2).replace(/e([+-])(\d)$/, 'e$10$2');
  return neg ? `-${body}` : body;
}

/** torch/_tensor_str.py's `_Formatter` for floating dtypes, built from the printed values. */
function floatFormatter(values: ArrayLike<number>): Formatter {
  let minAbs = Infinity;
  let maxAbs = 0;
  let count = 0;
  let intMode = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || v === 0) continue;
    count++;
    const a = Math.abs(v);
    if (a < minAbs) minAbs = a;
    if (a > maxAbs) maxAbs = a;
    if (v !== Math.ceil(v)) intMode = false;
  }
  let sci = false;
  let width = 1;
  if (count > 0) {
    sci = maxAbs / minAbs > 1000 || maxAbs > 1e8 || (!intMode && minAbs < 1e-4);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v) || v === 0) continue;
      const len = sci ? pyExp(v, PRECISION).length : intMode ? pyFixed(v, 0).length + 1 : pyFixed(v, PRECISION).length;
      if (len > width) width = len;
    }
  }
  const format = (v: number): string => {
    let s: string;
    if (!Number.isFinite(v)) s = special(v);
    else if (sci) s = pyExp(v, PRECISION);
    else if (intMode) s = `${pyFixed(v, 0)}.`;
    else s = pyFixed(v, PRECISION);
    return s.padStart(width);
  };
  return { width, format };
}

function makeFormatter(dtype: DType, values: ArrayLike<number>): Formatter {
  if (dtype === 'bool' || dtype === 'int32') {
    const str = dtype === 'bool' ? (v: number) => (v ? 'True' : 'False') : (v: number) => String(v);
    let width = 1;
    for (let i = 0; i < values.length; i++) width = Math.max(width, str(values[i]!).length);
    return { width, format: (v) => str(v).padStart(width) };
  }
  return floatFormatter(values);
}

/** The values that are printed (torch's `get_summarized_data`): the formatter is built from these. */
function shownValues(values: ArrayLike<number>, shape: readonly number[], st: readonly number[], summarize: boolean): number[] {
  const out: number[] = [];
  const walk = (dim: number, base: number): void => {
    if (dim === shape.length) {
      out.push(values[base]!);
      return;
    }
    for (const i of shownIndices(shape[dim]!, summarize)) if (i !== null) walk(dim + 1, base + i * st[dim]!);
  };
  walk(0, 0);
  return out;
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
    // PyTorch's vector summary element is ' ...' (two spaces after the comma).
    const items = idx.map((i) => (i === null ? ' ...' : fmt.format(values[base + i * st[dim]!]!)));
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

/**
 * Formats host values laid out contiguously in `shape`, PyTorch-style, with the `tensor(`
 * prefix. `suffixes` come after the values (`device=…` first, as PyTorch orders them); an
 * empty tensor of rank other than 1 gets `size=(…)` after the device.
 */
export function formatTensor(values: ArrayLike<number>, shape: readonly number[], dtype: DType, suffixes: string[]): string {
  const summarize = values.length > THRESHOLD;
  const prefix = 'tensor(';
  const st = strides(shape);
  let body: string;
  if (values.length === 0) body = '[]';
  else {
    const fmt = makeFormatter(dtype, shape.length === 0 ? values : shownValues(values, shape, st, summarize));
    body = shape.length === 0 ? fmt.format(values[0]!) : formatBlock(values, shape, st, 0, 0, prefix.length, fmt, summarize);
  }
  const extra = [...suffixes];
  if (values.length === 0 && shape.length !== 1) {
    const at = extra.findIndex((s) => !s.startsWith('device='));
    extra.splice(at < 0 ? extra.length : at, 0, `size=(${shape.join(', ')})`);
  }
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
  // float32, int32 (our default integer type) and bool print without a dtype, as the defaults do in PyTorch;
  // an empty tensor has no values to tell its dtype by, so any but float32 is printed.
  if (t.dtype === 'float64' || t.dtype === 'float16' || (t.numel() === 0 && t.dtype !== 'float32')) {
    out.push(`dtype=${TORCH_DTYPE[t.dtype]}`);
  }
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
    /** `tolist()` on every device. */
    tolistAsync(): Promise<unknown>;
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

/** float16 tensors read back as raw bits: decode them for printing. */
function hostValues(t: Tensor, data: ArrayLike<number>): ArrayLike<number> {
  if (t.dtype !== 'float16') return data;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const h = data[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    out[i] = exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

function syncRead(t: Tensor, op: string, asyncForm: string): ArrayLike<number> {
  if (!t.backend.canReadSync) {
    throw new DeviceError(`${op}: tensors on '${t.device}' cannot be read synchronously; use \`${asyncForm}\``);
  }
  return hostValues(t, t.dataSync());
}

/** Puts the printing and host reads methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installFormatMethods(): void {
  Tensor.prototype.toString = function () {
    if (this.isDisposed) return `tensor(<disposed>, shape=[${this.shape.join(', ')}])`;
    if (!this.backend.canReadSync) return `tensor(<${this.device}>, shape=[${this.shape.join(', ')}], dtype=${TORCH_DTYPE[this.dtype]})`;
    return formatTensor(hostValues(this, this.dataSync()), this.shape, this.dtype, suffixesOf(this));
  };

  Tensor.prototype.format = async function () {
    return formatTensor(hostValues(this, await this.data()), this.shape, this.dtype, suffixesOf(this));
  };

  Tensor.prototype.tolist = function () {
    return nest(syncRead(this, 'tolist()', 'await tensor.tolistAsync()'), this.shape, this.dtype);
  };

  Tensor.prototype.tolistAsync = async function () {
    return nest(hostValues(this, await this.data()), this.shape, this.dtype);
  };

  // Node's console.log / util.inspect print the PyTorch repr too.
  (Tensor.prototype as unknown as Record<symbol, unknown>)[Symbol.for('nodejs.util.inspect.custom')] = function (this: Tensor) {
    return this.toString();
  };
}
