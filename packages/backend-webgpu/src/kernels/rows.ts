/**
 * The row kernel behind the fused recurrent and embedding-bag kernels: one invocation per
 * element (r, c) of an R × C iteration space, reading and writing float32 2-D views (1-D
 * views are rows of stride 0) of any strides through accessor functions `NAME(r, c)` and
 * `NAME_set(r, c, v)`. Views that share a device buffer (a state updated in place, `hOut`
 * aliasing `h`) are bound once, read-write when any of them is written, so a dispatch never
 * binds one buffer twice (WebGPU forbids a writable and a read-only binding of the same
 * buffer) and never needs the runtime's alias copy.
 */
import type { DType, TensorView } from '@torchlet/backend';
import { gpuOf } from '../buffer.js';
import type { Access, GpuRuntime } from '../runtime.js';
import { entryWGSL, metaWGSL, storageWGSL, WG } from '../wgsl/codegen.js';
import { MATH_WGSL } from '../wgsl/math.js';

export interface RowOperand {
  /** Accessor name in the body (`X(r, c)`, `X_set(r, c, v)`). */
  readonly name: string;
  /** The view, or null when the optional operand is absent (its accessors are then undefined). */
  readonly view: TensorView | null;
  readonly write?: boolean;
  /** Element type (default float32; int32 views read as i32). */
  readonly dtype?: DType;
}

export interface RowSpec {
  /** Kernel family name (part of the pipeline key). */
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly operands: readonly RowOperand[];
  /** i32 words available to the body as `S(j)` (f32 bits as `SF(j)`). */
  readonly scalars?: readonly number[];
  /**
   * WGSL statements run per element with `r`, `j` (i32) in scope, given which operands are
   * present (the key includes presence, so the body may depend on it).
   */
  readonly body: (has: Readonly<Record<string, boolean>>) => string;
  /** Extra WGSL declarations. */
  readonly helpers?: string;
}

function stridesOf(v: TensorView): [number, number] {
  if (v.shape.length === 2) return [v.strides[0]!, v.strides[1]!];
  if (v.shape.length === 1) return [0, v.strides[0]!];
  throw new RangeError(`webgpu fused kernel: expected a 1-D or 2-D view, got [${v.shape.join(', ')}]`);
}

export function runRows(rt: GpuRuntime, spec: RowSpec): void {
  const n = spec.rows * spec.cols;
  if (n === 0) return;
  const buffers: GPUBuffer[] = [];
  const access: Access[] = [];
  const dtypes: DType[] = [];
  const bindingOf: number[] = [];
  const has: Record<string, boolean> = {};
  for (const o of spec.operands) {
    has[o.name] = o.view !== null;
    if (!o.view) {
      bindingOf.push(-1);
      continue;
    }
    const dtype = o.dtype ?? 'float32';
    if (o.view.dtype !== dtype) throw new TypeError(`${spec.name}: ${o.name} must be ${dtype} on webgpu (got ${o.view.dtype})`);
    const gpu = gpuOf(o.view);
    let k = buffers.indexOf(gpu);
    if (k < 0) {
      k = buffers.length;
      buffers.push(gpu);
      access.push('read');
      dtypes.push(dtype);
    } else if (dtypes[k] !== dtype) {
      throw new TypeError(`${spec.name}: views of one buffer with different dtypes`);
    }
    if (o.write) access[k] = 'read_write';
    bindingOf.push(k);
  }
  const scalars = spec.scalars ?? [];
  // meta: [n, cols, scalars…, per operand: offset, row stride, col stride]
  const scalarAt = 2;
  const opAt = scalarAt + scalars.length;
  const metaWords = opAt + 3 * spec.operands.length;
  const sig = bindingOf.map((b, i) => (b < 0 ? '-' : `${b}${spec.operands[i]!.write ? 'w' : ''}`)).join(',');
  const key = `rows:${spec.name}|${sig}|${dtypes.join(',')}|s${scalars.length}`;
  const kernel = rt.kernel(key, () => {
    let decls = '';
    buffers.forEach((_, k) => (decls += storageWGSL(k + 1, `b${k}`, dtypes[k]!, access[k]!)));
    let accessors = '';
    spec.operands.forEach((o, i) => {
      const b = bindingOf[i]!;
      if (b < 0) return;
      const t = (o.dtype ?? 'float32') === 'int32' ? 'i32' : 'f32';
      const at = opAt + 3 * i;
      const pos = `M(${at}u) + r * M(${at + 1}u) + c * M(${at + 2}u)`;
      accessors += `fn ${o.name}(r: i32, c: i32) -> ${t} { return b${b}[${pos}]; }\n`;
      if (o.write) accessors += `fn ${o.name}_set(r: i32, c: i32, v: ${t}) { b${b}[${pos}] = v; }\n`;
    });
    const code = [
      MATH_WGSL,
      metaWGSL(metaWords),
      `fn S(j: u32) -> i32 { return M(${scalarAt}u + j); }`,
      `fn SF(j: u32) -> f32 { return MF(${scalarAt}u + j); }`,
      'fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + t_exp(-x)); }',
      decls,
      accessors,
      spec.helpers ?? '',
      entryWGSL(WG),
      '  if (gid >= u32(M(0u))) { return; }',
      '  let r = i32(gid) / M(1u);',
      '  let j = i32(gid) % M(1u);',
      spec.body(has),
      '}',
    ].join('\n');
    return { code, access, metaWords };
  });
  const meta = new Int32Array(metaWords);
  meta[0] = n;
  meta[1] = spec.cols;
  scalars.forEach((s, i) => (meta[scalarAt + i] = s));
  spec.operands.forEach((o, i) => {
    if (!o.view) return;
    const [rs, cs] = stridesOf(o.view);
    meta[opAt + 3 * i] = o.view.offset;
    meta[opAt + 3 * i + 1] = rs;
    meta[opAt + 3 * i + 2] = cs;
  });
  rt.dispatch(kernel, buffers, meta, Math.ceil(n / WG));
}
