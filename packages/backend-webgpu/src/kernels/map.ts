/**
 * The generic strided map: one invocation per element of an iteration space, with any
 * number of strided operands whose positions the kernel computes from the flat index.
 * Shapes, strides, offsets and scalars travel in the meta uniform; the WGSL is
 * specialised only on the (coalesced) rank, the operand dtypes/access and the op, so a
 * contiguous, a transposed and a broadcast call of the same op share at most a few
 * pipelines. Elementwise ops, assign/fill/arange, gather/indexSelect, scatter/indexAdd
 * and sort are all written on it.
 */
import type { DType } from '@torchlet/backend';
import { coalesce, numel } from '../layout.js';
import { flagsWGSL, type Access, type GpuRuntime } from '../runtime.js';
import { entryWGSL, metaWGSL, storageWGSL, unravelWGSL, WG } from '../wgsl/codegen.js';
import { MATH_WGSL } from '../wgsl/math.js';

export interface MapOperand {
  /** Strides over the iteration space (0 on broadcast axes). */
  readonly strides: readonly number[];
  readonly offset: number;
  /** The bound buffer (`buf{k}` in the body); absent for a virtual operand that only yields `p{k}`. */
  readonly buffer?: GPUBuffer;
  readonly dtype?: DType;
  readonly access?: Access;
}

export interface MapSpec {
  /** Identifies the body and helpers: part of the pipeline cache key. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly operands: readonly MapOperand[];
  /** i32 words available as `S(j)` (and `SF(j)` reinterpreted as f32). */
  readonly scalars?: readonly number[];
  /** WGSL statements run per element; `p{k}` is operand k's position, `gid` the flat index (u32). */
  readonly body: string;
  /** Extra WGSL declarations (functions). */
  readonly helpers?: string;
  /** Binds the error-flags buffer (`raise_flag`, `raise_index`). */
  readonly flags?: boolean;
  /** Whether to coalesce dimensions (off when the body needs real coordinates). */
  readonly coalesce?: boolean;
}

export function runMap(rt: GpuRuntime, spec: MapSpec): void {
  const n = numel(spec.shape);
  if (n === 0) return;
  const simplified = spec.coalesce === false
    ? { shape: [...spec.shape], strides: spec.operands.map((o) => [...o.strides]) }
    : coalesce(spec.shape, spec.operands.map((o) => o.strides));
  const rank = simplified.shape.length;
  const ops = spec.operands;
  const scalars = spec.scalars ?? [];
  const sig = ops.map((o) => (o.buffer ? `${o.dtype}:${o.access === 'read_write' ? 'w' : 'r'}` : 'v')).join(',');
  const key = `map:${spec.name}|r${rank}|${sig}|s${scalars.length}`;

  const offAt: number[] = [];
  let w = 1 + rank;
  for (let k = 0; k < ops.length; k++) {
    offAt.push(w);
    w += 1 + rank;
  }
  const scalarAt = w;
  const metaWords = w + scalars.length;

  const kernel = rt.kernel(key, () => {
    const access: Access[] = [];
    let decls = '';
    ops.forEach((o, k) => {
      if (!o.buffer) return;
      const a = o.access ?? 'read';
      access.push(a);
      decls += storageWGSL(access.length, `buf${k}`, o.dtype!, a);
    });
    const code = [
      MATH_WGSL,
      metaWGSL(metaWords),
      `fn S(j: u32) -> i32 { return M(${scalarAt}u + j); }`,
      `fn SF(j: u32) -> f32 { return MF(${scalarAt}u + j); }`,
      decls,
      spec.flags ? flagsWGSL(access.length + 1) : '',
      spec.helpers ?? '',
      entryWGSL(WG),
      '  if (gid >= u32(M(0u))) { return; }',
      unravelWGSL('i32(gid)', rank, 1, offAt),
      spec.body,
      '}',
    ].join('\n');
    return { code, access, metaWords, flags: spec.flags ?? false };
  });

  const meta = new Int32Array(metaWords);
  meta[0] = n;
  simplified.shape.forEach((d, i) => (meta[1 + i] = d));
  ops.forEach((o, k) => {
    meta[offAt[k]!] = o.offset;
    simplified.strides[k]!.forEach((s, d) => (meta[offAt[k]! + 1 + d] = s));
  });
  scalars.forEach((s, j) => (meta[scalarAt + j] = s));
  const buffers = ops.filter((o) => o.buffer).map((o) => o.buffer!);
  rt.dispatch(kernel, buffers, meta, Math.ceil(n / WG));
}
