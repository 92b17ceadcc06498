/**
 * The one strided iteration engine behind every elementwise-shaped kernel (unary, binary,
 * where, cast, assign, fill, reduce-into, gather, scatter …).
 *
 * A kernel is generated once per (op, dtypes) key with `new Function` from a statement
 * template, so each generated loop sees one combination of typed-array classes and stays
 * monomorphic, and the per-element work is inlined code rather than a closure call.
 *
 * Operand k is `a<k>` (its typed array) and `q<k>` (the current element position) inside
 * the template; `c0`, `c1`, … are per-call scalars; helpers are passed in by name.
 */
import type { HostArray } from '@torchlet/backend';

/** Coalesced iteration space: same-rank shape and per-operand strides, outer dim first. */
export interface Coalesced {
  readonly shape: number[];
  readonly strides: number[][];
}

/**
 * Drops size-1 dims and merges neighbours that every operand walks as one run
 * (`stride[d] === stride[d + 1] · shape[d + 1]`). Returns null for an empty (zero-size) space.
 * Row-major order is preserved, which matters for scatter-add determinism.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): Coalesced | null {
  const nOps = strides.length;
  const outShape: number[] = [];
  const outStrides: number[][] = [];
  for (let k = 0; k < nOps; k++) outStrides.push([]);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 0) return null;
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0) {
      let mergeable = true;
      for (let k = 0; k < nOps; k++) {
        if (outStrides[k]![last] !== strides[k]![d]! * n) {
          mergeable = false;
          break;
        }
      }
      if (mergeable) {
        outShape[last] = outShape[last]! * n;
        for (let k = 0; k < nOps; k++) outStrides[k]![last] = strides[k]![d]!;
        continue;
      }
    }
    outShape.push(n);
    for (let k = 0; k < nOps; k++) outStrides[k]!.push(strides[k]![d]!);
  }
  return { shape: outShape, strides: outStrides };
}

export type LoopKernel = (
  shape: readonly number[],
  arrays: readonly HostArray[],
  offsets: readonly number[],
  strides: readonly (readonly number[])[],
  scalars: readonly number[],
) => void;

export interface LoopSpec {
  /** Cache key: must identify the template and the dtypes of every operand. */
  readonly key: string;
  readonly nOps: number;
  /** Statement run once per element, using a<k>, q<k>, c<i> and helpers. */
  readonly body: string;
  /**
   * Reduction form: operand 0 is an accumulator and `combine` an expression in `acc` (its
   * value) and `v` (operand 1's element). When the innermost accumulator stride is 0 the
   * accumulator is kept in a register for the whole run.
   */
  readonly combine?: string;
  readonly helpers?: Readonly<Record<string, unknown>>;
  readonly nScalars?: number;
}

const cache = new Map<string, LoopKernel>();

function range(n: number, f: (k: number) => string, sep: string): string {
  const parts: string[] = [];
  for (let k = 0; k < n; k++) parts.push(f(k));
  return parts.join(sep);
}

function generate(spec: LoopSpec): string {
  const n = spec.nOps;
  const ns = spec.nScalars ?? 0;
  const body = spec.combine !== undefined ? `{ const acc = a0[q0]; const v = a1[q1]; a0[q0] = ${spec.combine}; }` : spec.body;
  const qs = (src: (k: number) => string) => range(n, (k) => `q${k} = ${src(k)}`, ', ');
  const step = range(n, (k) => `q${k} += t${k};`, ' ');
  // The register-accumulator run, used when operand 0 does not move along the innermost dim.
  const regRun =
    spec.combine !== undefined
      ? `if (t0 === 0) { let acc = a0[q0]; for (let i = 0; i < len; i++) { const v = a1[q1]; acc = ${spec.combine}; q1 += t1; } a0[q0] = acc; } else `
      : '';
  return `// kernel ${JSON.stringify(spec.key)}
return function stridedKernel(shape, arrays, offsets, strides, scalars) {
  ${range(n, (k) => `const a${k} = arrays[${k}];`, ' ')}
  ${range(ns, (i) => `const c${i} = scalars[${i}];`, ' ')}
  ${range(n, (k) => `let p${k} = offsets[${k}];`, ' ')}
  const r = shape.length;
  if (r === 0) { let ${qs((k) => `p${k}`)}; ${body} return; }
  const len = shape[r - 1];
  ${range(n, (k) => `const t${k} = strides[${k}][r - 1];`, ' ')}
  if (r === 1 && ${range(n, (k) => `t${k} === 1`, ' && ')}) {
    // Contiguous fast path: one flat loop.
    let ${qs((k) => `p${k}`)};
    for (let i = 0; i < len; i++) { ${body} ${range(n, (k) => `q${k}++;`, ' ')} }
    return;
  }
  ${range(n, (k) => `const s${k} = strides[${k}];`, ' ')}
  const idx = new Int32Array(r);
  for (;;) {
    let ${qs((k) => `p${k}`)};
    ${regRun}for (let i = 0; i < len; i++) { ${body} ${step} }
    // Odometer over the outer dims.
    let d = r - 2;
    for (; d >= 0; d--) {
      const sd = shape[d];
      ${range(n, (k) => `p${k} += s${k}[d];`, ' ')}
      if (++idx[d] < sd) break;
      idx[d] = 0;
      ${range(n, (k) => `p${k} -= s${k}[d] * sd;`, ' ')}
    }
    if (d < 0) return;
  }
};`;
}

/** Compiles (or fetches from cache) the loop for a spec. */
export function compileLoop(spec: LoopSpec): LoopKernel {
  let kernel = cache.get(spec.key);
  if (kernel === undefined) {
    const helpers = spec.helpers ?? {};
    const names = Object.keys(helpers);
    const factory = new Function(...names, generate(spec)) as (...args: unknown[]) => LoopKernel;
    kernel = factory(...names.map((name) => helpers[name]));
    cache.set(spec.key, kernel);
  }
  return kernel;
}

/** An operand of a loop: its array, offset and strides over the loop's shape. */
export interface LoopOperand {
  readonly data: HostArray;
  readonly offset: number;
  readonly strides: readonly number[];
}

/** Coalesces the iteration space and runs the kernel over it (nothing for a zero-size shape). */
export function runLoop(
  kernel: LoopKernel,
  shape: readonly number[],
  operands: readonly LoopOperand[],
  scalars: readonly number[] = [],
): void {
  const space = coalesce(
    shape,
    operands.map((o) => o.strides),
  );
  if (space === null) return;
  kernel(
    space.shape,
    operands.map((o) => o.data),
    operands.map((o) => o.offset),
    space.strides,
    scalars,
  );
}

/**
 * Start positions of every 1-D line along `axis`, in row-major order of the other dims.
 * Kernels that work line by line (scan, argReduce, sort, softmax) loop over this list, so
 * they need no odometer of their own.
 */
export function lineStarts(shape: readonly number[], axis: number, strides: readonly number[], offset: number): Int32Array {
  let count = 1;
  for (let d = 0; d < shape.length; d++) if (d !== axis) count *= shape[d]!;
  const starts = new Int32Array(count);
  if (count === 0) return starts;
  const outer: number[] = [];
  const outerStrides: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (d === axis) continue;
    outer.push(shape[d]!);
    outerStrides.push(strides[d]!);
  }
  const r = outer.length;
  const idx = new Int32Array(r);
  let p = offset;
  for (let j = 0; j < count; j++) {
    starts[j] = p;
    for (let d = r - 1; d >= 0; d--) {
      p += outerStrides[d]!;
      if (++idx[d]! < outer[d]!) break;
      idx[d] = 0;
      p -= outerStrides[d]! * outer[d]!;
    }
  }
  return starts;
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (let d = 0; d < shape.length; d++) n *= shape[d]!;
  return n;
}
