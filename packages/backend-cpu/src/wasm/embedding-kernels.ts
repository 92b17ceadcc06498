/**
 * The embedding-bag kernels of the backend's Wasm module (float32 SIMD, the fastText path),
 * with the semantics of the `embeddingBag`, `embeddingBagBackwardSparse` and `addRows` fused
 * kernels (documented in @torchlet/backend's `FusedKernels`):
 *
 * - `eb_fwd(tid, params, b0, b1)`: bags [b0, b1) of the forward; `eb_bwd(tid, params, b0, b1)`
 *   the row-sparse backward for the entries of those bags. Both read a parameter block laid
 *   out as `EMBEDDING_BAG` (one i32 word each; pointers and row strides in bytes). Bags are
 *   independent, so the thread pool can share them out.
 * - `add_rows(tid, dst, drs, idx, vals, vrs, alphaBits, i0, i1, c0, c1)`: dst[idx[i]] +=
 *   alpha · vals[i] for entries [i0, i1) and columns [c0, c1) (alpha as its float32 bits).
 *   Entries may repeat, so threads split the columns, never the entries.
 *
 * Rows are contiguous; columns run four at a time with a scalar tail. The accumulation order
 * is the TypeScript kernel's (entry by entry into the output row), in float32; `add_rows`
 * multiplies and adds separately (no fused multiply-add), as PyTorch's float32 `index_add_`.
 */
import { F32, I32, V128, type Code, type FunctionBuilder, type Local, type ModuleBuilder } from './encoder.js';

/**
 * Parameter block of `eb_fwd` / `eb_bwd`: `src` is the weight (forward) or the output
 * gradient (backward), `dst` the bag output (forward) or the per-entry values (backward).
 */
export const EMBEDDING_BAG = ['src', 'srs', 'idx', 'off', 'T', 'B', 'pw', 'pws', 'dst', 'drs', 'D', 'mean', 'pad', 'hasPw'] as const;
type Field = (typeof EMBEDDING_BAG)[number];

/** Declares `name(tid, params, b0, b1)` and loads the parameter block into locals. */
function bagKernel(m: ModuleBuilder, name: string): { f: FunctionBuilder; p: Record<Field, Local>; b0: Local; b1: Local } {
  const f = m.func([I32, I32, I32, I32], [], name);
  const [, params, b0, b1] = f.params as [Local, Local, Local, Local];
  const p = {} as Record<Field, Local>;
  EMBEDDING_BAG.forEach((field, i) => {
    p[field] = f.local(I32);
    f.code.get(params).mem('i32.load', 4 * i).set(p[field]);
  });
  return { f, p, b0: b0!, b1: b1! };
}

/**
 * `body(vector)` for each byte offset `j` of a row of `rowBytes` bytes: sixteen bytes (four
 * floats) at a time up to `vecBytes`, then one float at a time (`vector` false).
 */
function overRow(c: Code, j: Local, vecBytes: Local, rowBytes: Local, body: (vector: boolean) => void): void {
  c.range(j, 0, vecBytes, 16, () => body(true));
  c.range(j, vecBytes, rowBytes, 4, () => body(false));
}

/** The vector part and the whole of a row of D floats, in bytes. */
function rowBytes(f: FunctionBuilder, D: Local): [Local, Local] {
  const vec = f.local(I32);
  const all = f.local(I32);
  f.code.get(D).i32(2).op('i32.shl').tee(all).i32(~15).op('i32.and').set(vec);
  return [vec, all];
}

/** Entry range [start, end) of bag `b` (the last bag ends at T; ends are clamped to T). */
function bagRange(c: Code, p: Record<Field, Local>, b: Local, start: Local, end: Local): void {
  c.get(p.off).get(b).i32(2).op('i32.shl', 'i32.add').mem('i32.load').set(start);
  c.get(p.T).set(end);
  c.get(b).i32(1).op('i32.add').get(p.B).op('i32.lt_s').if();
  c.get(p.off).get(b).i32(2).op('i32.shl', 'i32.add').mem('i32.load', 4).set(end);
  c.get(end).get(p.T).op('i32.gt_s').if().get(p.T).set(end).end();
  c.end();
}

function forwardKernel(m: ModuleBuilder): void {
  const { f, p, b0, b1 } = bagKernel(m, 'eb_fwd');
  const c = f.code;
  const [b, i, j, r, start, end, count, row, out, ptr] = Array.from({ length: 10 }, () => f.local(I32)) as Local[] as [
    Local, Local, Local, Local, Local, Local, Local, Local, Local, Local,
  ];
  const s = f.local(F32);
  const sv = f.local(V128);
  const [D4, DB] = rowBytes(f, p.D);
  c.range(b, b0, b1, 1, () => {
    c.get(p.dst).get(b).get(p.drs).op('i32.mul', 'i32.add').set(out);
    overRow(c, j, D4, DB, (vector) => {
      c.get(out).get(j).op('i32.add');
      if (vector) c.f32x4(0).mem('v128.store');
      else c.f32(0).mem('f32.store');
    });
    bagRange(c, p, b, start, end);
    c.i32(0).set(count);
    c.range(i, start, end, 1, () => {
      c.get(p.idx).get(i).i32(2).op('i32.shl', 'i32.add').mem('i32.load').tee(r).get(p.pad).op('i32.ne').if();
      c.inc(count);
      c.get(p.src).get(r).get(p.srs).op('i32.mul', 'i32.add').set(row);
      c.get(p.hasPw).if();
      {
        c.get(p.pw).get(i).get(p.pws).op('i32.mul', 'i32.add').mem('f32.load').tee(s).op('f32x4.splat').set(sv);
        overRow(c, j, D4, DB, (vector) => {
          c.get(out).get(j).op('i32.add').tee(ptr).get(ptr);
          if (vector) c.mem('v128.load').get(sv).get(row).get(j).op('i32.add').mem('v128.load').op('f32x4.mul', 'f32x4.add').mem('v128.store');
          else c.mem('f32.load').get(s).get(row).get(j).op('i32.add').mem('f32.load').op('f32.mul', 'f32.add').mem('f32.store');
        });
      }
      c.else();
      overRow(c, j, D4, DB, (vector) => {
        c.get(out).get(j).op('i32.add').tee(ptr).get(ptr);
        if (vector) c.mem('v128.load').get(row).get(j).op('i32.add').mem('v128.load').op('f32x4.add').mem('v128.store');
        else c.mem('f32.load').get(row).get(j).op('i32.add').mem('f32.load').op('f32.add').mem('f32.store');
      });
      c.end();
      c.end();
    });
    // mean: divide by the kept entries (an empty bag stays zero)
    c.get(p.mean).get(count).i32(1).op('i32.gt_s', 'i32.and').if();
    c.get(count).op('f32.convert_i32_s').tee(s).op('f32x4.splat').set(sv);
    overRow(c, j, D4, DB, (vector) => {
      c.get(out).get(j).op('i32.add').tee(ptr).get(ptr);
      if (vector) c.mem('v128.load').get(sv).op('f32x4.div').mem('v128.store');
      else c.mem('f32.load').get(s).op('f32.div').mem('f32.store');
    });
    c.end();
  });
}

function backwardKernel(m: ModuleBuilder): void {
  const { f, p, b0, b1 } = bagKernel(m, 'eb_bwd');
  const c = f.code;
  const [b, i, j, start, end, count, g, v, ptr] = Array.from({ length: 9 }, () => f.local(I32)) as Local[] as [
    Local, Local, Local, Local, Local, Local, Local, Local, Local,
  ];
  const s = f.local(F32);
  const sv = f.local(V128);
  const [D4, DB] = rowBytes(f, p.D);
  c.range(b, b0, b1, 1, () => {
    bagRange(c, p, b, start, end);
    c.get(p.src).get(b).get(p.srs).op('i32.mul', 'i32.add').set(g);
    // mean divides by the bag's kept entries, sum by 1 (the per-sample weight multiplies instead)
    c.i32(1).set(count);
    c.get(p.mean).if();
    c.i32(0).set(count);
    c.range(i, start, end, 1, () => {
      c.get(count).get(p.idx).get(i).i32(2).op('i32.shl', 'i32.add').mem('i32.load').get(p.pad).op('i32.ne', 'i32.add').set(count);
    });
    c.end();
    c.get(count).op('f32.convert_i32_s').tee(s).op('f32x4.splat').set(sv);
    c.range(i, start, end, 1, () => {
      c.get(p.dst).get(i).get(p.drs).op('i32.mul', 'i32.add').set(v);
      c.get(p.idx).get(i).i32(2).op('i32.shl', 'i32.add').mem('i32.load').get(p.pad).op('i32.eq').if();
      overRow(c, j, D4, DB, (vector) => {
        c.get(v).get(j).op('i32.add');
        if (vector) c.f32x4(0).mem('v128.store');
        else c.f32(0).mem('f32.store');
      });
      c.else();
      c.get(p.hasPw).if();
      {
        const w = f.local(F32);
        const wv = f.local(V128);
        c.get(p.pw).get(i).get(p.pws).op('i32.mul', 'i32.add').mem('f32.load').tee(w).op('f32x4.splat').set(wv);
        overRow(c, j, D4, DB, (vector) => {
          c.get(v).get(j).op('i32.add').tee(ptr);
          if (vector) c.get(wv).get(g).get(j).op('i32.add').mem('v128.load').op('f32x4.mul').mem('v128.store');
          else c.get(w).get(g).get(j).op('i32.add').mem('f32.load').op('f32.mul').mem('f32.store');
        });
      }
      c.else();
      overRow(c, j, D4, DB, (vector) => {
        c.get(v).get(j).op('i32.add').tee(ptr);
        if (vector) c.get(g).get(j).op('i32.add').mem('v128.load').get(sv).op('f32x4.div').mem('v128.store');
        else c.get(g).get(j).op('i32.add').mem('f32.load').get(s).op('f32.div').mem('f32.store');
      });
      c.end();
      c.end();
    });
  });
}

function addRowsKernel(m: ModuleBuilder): void {
  const f = m.func([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], [], 'add_rows');
  const [, dst, drs, idx, vals, vrs, alphaBits, i0, i1, c0, c1] = f.params as Local[] as [
    Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local,
  ];
  const c = f.code;
  const [i, j, c4, d, v, ptr] = Array.from({ length: 6 }, () => f.local(I32)) as Local[] as [Local, Local, Local, Local, Local, Local];
  const alpha = f.local(F32);
  const av = f.local(V128);
  c.get(alphaBits).op('f32.reinterpret_i32').tee(alpha).op('f32x4.splat').set(av);
  // byte offsets of the column range; vector part [c0, c4)
  c.get(c0).i32(2).op('i32.shl').set(c0);
  c.get(c1).i32(2).op('i32.shl').set(c1);
  c.get(c1).get(c0).op('i32.sub').i32(~15).op('i32.and').get(c0).op('i32.add').set(c4);
  c.range(i, i0, i1, 1, () => {
    c.get(dst).get(idx).get(i).i32(2).op('i32.shl', 'i32.add').mem('i32.load').get(drs).op('i32.mul', 'i32.add').set(d);
    c.get(vals).get(i).get(vrs).op('i32.mul', 'i32.add').set(v);
    c.range(j, c0, c4, 16, () => {
      c.get(d).get(j).op('i32.add').tee(ptr).get(ptr).mem('v128.load').get(av).get(v).get(j).op('i32.add').mem('v128.load');
      c.op('f32x4.mul', 'f32x4.add').mem('v128.store');
    });
    c.range(j, c4, c1, 4, () => {
      c.get(d).get(j).op('i32.add').tee(ptr).get(ptr).mem('f32.load').get(alpha).get(v).get(j).op('i32.add').mem('f32.load');
      c.op('f32.mul', 'f32.add').mem('f32.store');
    });
  });
}

/** Adds the embedding-bag kernels to the module. */
export function embeddingKernels(m: ModuleBuilder): void {
  forwardKernel(m);
  backwardKernel(m);
  addRowsKernel(m);
}
