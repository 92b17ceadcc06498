/**
 * Matrix products: one `matmul` primitive over `backend.matmul` (PyTorch's 1-D promotion and
 * batch broadcasting, stride-0 batch views, no copies), and the functions PyTorch builds on it —
 * mm, bmm, mv, dot, outer, addmm, baddbmm, tensordot, einsum — plus cdist.
 */
import type { DType, TensorView } from '@torchlet/backend';
import { DTypeError, RuntimeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { allocTensor } from '../core/factory.js';
import { broadcastShapes, normalizeDim, numelOf, shapesEqual, type Shape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import { castKernel, withCast } from './common.js';
import { alias } from './conversion.js';
import { add, mul, sub } from './elementwise.js';
import { norm, sum, vectorNorm } from './reduce.js';
import { diagonal, expand, permute, reshape, unsqueeze } from './views.js';

// ---- the matmul primitive -----------------------------------------------------------------------

const mmShape = (s: Shape): string => s.join('x');

/** The dtype the backend multiplies in: float as is; int32 exactly in float64 (or float32 without it). */
function matmulComputeType(dtype: DType, x: Tensor): DType {
  if (dtype === 'float32' || dtype === 'float64') return dtype;
  if (dtype === 'float16') return 'float32';
  return x.backend.dtypes.has('float64') ? 'float64' : 'float32';
}

/** `x`'s kernel view with a leading (row) or trailing (column) size-1 dim. */
function promote1d(v: TensorView, where: 'row' | 'col'): TensorView {
  const n = v.shape[0]!;
  const s = v.strides[0]!;
  return where === 'row' ? { ...v, shape: [1, n], strides: [0, s] } : { ...v, shape: [n, 1], strides: [s, 0] };
}

/** `v` ([...b, R, C]) with batch dims broadcast to `batch` (stride 0), no copy. */
function broadcastBatch(v: TensorView, batch: readonly number[]): TensorView {
  const inner = v.shape.length - 2;
  const lead = batch.length - inner;
  const shape = [...batch, v.shape[inner]!, v.shape[inner + 1]!];
  const strides = shape.map((n, i) => {
    if (i >= batch.length) return v.strides[i - batch.length + inner]!;
    const j = i - lead;
    return j < 0 || v.shape[j] === 1 ? 0 : v.strides[j]!;
  });
  return { ...v, shape, strides };
}

function checkMatmulOperands(op: string, a: Tensor, b: Tensor): void {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RuntimeError(`${op}: both arguments to matmul need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`);
  }
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`${op}: expected m1 and m2 to have the same dtype, but got: ${a.dtype} != ${b.dtype}`);
  }
  if (a.dtype === 'bool') throw new DTypeError(`${op}: not implemented for 'Bool' tensors`);
  const k1 = a.shape[a.ndim - 1]!;
  const k2 = b.shape[b.ndim === 1 ? 0 : b.ndim - 2]!;
  if (k1 === k2) return;
  if (a.ndim === 1 && b.ndim === 1) {
    throw new ShapeError(
      `${op}: inconsistent tensor size, expected tensor [${k1}] and src [${k2}] to have the same number of elements, but got ${k1} and ${k2} elements respectively`,
    );
  }
  if (a.ndim === 2 && b.ndim === 1) {
    throw new ShapeError(`${op}: size mismatch, got input (${a.shape[0]}), mat (${mmShape(a.shape)}), vec (${k2})`);
  }
  if (a.ndim <= 2 && b.ndim <= 2) {
    const as = a.ndim === 1 ? [1, k1] : a.shape;
    throw new ShapeError(`${op}: mat1 and mat2 shapes cannot be multiplied (${mmShape(as)} and ${mmShape(b.shape)})`);
  }
  throw new ShapeError(`${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${k1} != ${k2})`);
}

/** The shape of `torch.matmul(a, b)`. */
export function matmulShape(a: Shape, b: Shape): number[] {
  const batch = broadcastShapes(a.length > 2 ? a.slice(0, -2) : [], b.length > 2 ? b.slice(0, -2) : [], 'matmul');
  const out = [...batch];
  if (a.length >= 2) out.push(a[a.length - 2]!);
  if (b.length >= 2) out.push(b[b.length - 1]!);
  return out;
}

function matmulForward(a: Tensor, b: Tensor): Tensor {
  checkMatmulOperands('matmul', a, b);
  const dtype = a.dtype;
  const computeType = matmulComputeType(dtype, a);
  const outShape = matmulShape(a.shape, b.shape);
  return withCast(a, computeType, (ac) =>
    withCast(b, computeType, (bc) => {
      const av = ac.ndim === 1 ? promote1d(ac.kernelView, 'row') : ac.kernelView;
      const bv = bc.ndim === 1 ? promote1d(bc.kernelView, 'col') : bc.kernelView;
      const batch = broadcastShapes(av.shape.slice(0, -2), bv.shape.slice(0, -2), 'matmul');
      const M = av.shape[av.shape.length - 2]!;
      const N = bv.shape[bv.shape.length - 1]!;
      const full = [...batch, M, N];
      const out = allocTensor(outShape, computeType, a.device);
      if (out.numel() > 0) {
        const ov = out.kernelView;
        const strides = new Array<number>(full.length);
        let s = 1;
        for (let i = full.length - 1; i >= 0; i--) {
          strides[i] = s;
          s *= full[i]!;
        }
        // An empty inner dim is a sum of nothing: zeros (PyTorch), without asking the kernel.
        if (av.shape[av.shape.length - 1] === 0) a.backend.fill(ov, 0);
        else a.backend.matmul(broadcastBatch(av, batch), broadcastBatch(bv, batch), { ...ov, shape: full, strides });
      }
      if (computeType === dtype) return out;
      try {
        return castKernel(out, dtype);
      } finally {
        out.dispose();
      }
    }),
  );
}

const matmulDef = registerOp<Record<string, never>>({
  name: 'matmul',
  kind: 'primitive',
  differentiable: true,
  forward: ([a, b]) => matmulForward(a!, b!),
});

/**
 * `torch.matmul(a, b)`: 1-D·1-D is a dot product (0-d); a 1-D first (second) operand is
 * promoted to a row (column) matrix and that dim is removed from the result; batch dims
 * broadcast. Operands must share a dtype; int32 products are computed exactly in float64.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkMatmulOperands('matmul', a, b);
  matmulShape(a.shape, b.shape);
  return call1(matmulDef, [a, b], {});
}

/** `torch.mm(a, b)`: 2-D × 2-D. */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2) throw new ShapeError(`mm: self must be a matrix (got ${a.ndim}-D tensor of shape ${fmtShape(a.shape)})`);
  if (b.ndim !== 2) throw new ShapeError(`mm: mat2 must be a matrix (got ${b.ndim}-D tensor of shape ${fmtShape(b.shape)})`);
  checkMatmulOperands('mm', a, b);
  return call1(matmulDef, [a, b], {});
}

/** `torch.bmm(a, b)`: [B, n, m] × [B, m, p] with equal batch sizes (no broadcasting). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3) throw new ShapeError(`bmm: batch1 must be a 3D tensor (got shape ${fmtShape(a.shape)})`);
  if (b.ndim !== 3) throw new ShapeError(`bmm: batch2 must be a 3D tensor (got shape ${fmtShape(b.shape)})`);
  if (b.shape[0] !== a.shape[0] || b.shape[1] !== a.shape[2]) {
    throw new ShapeError(
      `bmm: Expected size for first two dimensions of batch2 tensor to be: [${a.shape[0]}, ${a.shape[2]}] but got: [${b.shape[0]}, ${b.shape[1]}].`,
    );
  }
  checkMatmulOperands('bmm', a, b);
  return call1(matmulDef, [a, b], {});
}

/** `torch.mv(m, v)`: matrix × vector. */
export function mv(m: Tensor, v: Tensor): Tensor {
  if (m.ndim !== 2 || v.ndim !== 1) throw new ShapeError(`mv: vector + matrix @ vector expected, got 1, ${m.ndim}, ${v.ndim}`);
  checkMatmulOperands('mv', m, v);
  return call1(matmulDef, [m, v], {});
}

/** `torch.dot(a, b)`: the inner product of two 1-D tensors of equal size (0-d). */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new ShapeError(`dot: 1D tensors expected, but got ${a.ndim}D and ${b.ndim}D tensors`);
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`dot: expected both vectors to have same dtype, but found ${a.dtype} and ${b.dtype}`);
  }
  checkMatmulOperands('dot', a, b);
  return call1(matmulDef, [a, b], {});
}

/** `torch.outer(a, b)` (alias `ger`): `out[i][j] = a[i] * b[j]`. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1) throw new ShapeError(`outer: Expected 1-D argument self, but got ${a.ndim}-D`);
  if (b.ndim !== 1) throw new ShapeError(`outer: Expected 1-D argument vec2, but got ${b.ndim}-D`);
  const col = unsqueeze(a, 1);
  try {
    return mul(col, b);
  } finally {
    col.dispose();
  }
}

/** Scales of `addmm`, `addmv` and `baddbmm`: beta · input + alpha · product. */
export interface AddmmOptions {
  /** Multiplier of `input` (default 1); 0 ignores its values (NaN included), as in PyTorch. */
  beta?: number;
  /** Multiplier of the product (default 1). */
  alpha?: number;
}

/** `beta * input + alpha * product`, with `input` broadcast to the product's shape. */
function addScaled(op: string, input: Tensor, product: Tensor, { beta = 1, alpha = 1 }: AddmmOptions): Tensor {
  const shape = broadcastShapes(input.shape, product.shape, op);
  if (!shapesEqual(shape, product.shape)) {
    throw new ShapeError(`${op}: input of shape ${fmtShape(input.shape)} cannot be broadcast to the product's shape ${fmtShape(product.shape)}`);
  }
  const scaled = alpha === 1 ? product : mul(product, alpha);
  try {
    if (beta === 0) {
      // PyTorch ignores `input` (NaN and inf included) when beta is 0.
      return scaled === product ? alias(product) : alias(scaled);
    }
    const bi = beta === 1 ? input : mul(input, beta);
    try {
      return add(bi, scaled);
    } finally {
      if (bi !== input) bi.dispose();
    }
  } finally {
    if (scaled !== product) scaled.dispose();
  }
}

/** `torch.addmm(input, mat1, mat2, beta=1, alpha=1)`: `beta·input + alpha·(mat1 @ mat2)`. */
export function addmm(input: Tensor, mat1: Tensor, mat2: Tensor, options: AddmmOptions = {}): Tensor {
  const p = mm(mat1, mat2);
  try {
    return addScaled('addmm', input, p, options);
  } finally {
    p.dispose();
  }
}

/** `torch.baddbmm(input, batch1, batch2, beta=1, alpha=1)`: `beta·input + alpha·bmm(batch1, batch2)`. */
export function baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, options: AddmmOptions = {}): Tensor {
  const p = bmm(batch1, batch2);
  try {
    return addScaled('baddbmm', input, p, options);
  } finally {
    p.dispose();
  }
}

/** `torch.addmv(input, mat, vec, beta=1, alpha=1)`. */
export function addmv(input: Tensor, mat: Tensor, vec: Tensor, options: AddmmOptions = {}): Tensor {
  const p = mv(mat, vec);
  try {
    return addScaled('addmv', input, p, options);
  } finally {
    p.dispose();
  }
}

// ---- tensordot ----------------------------------------------------------------------------------------

/**
 * Contracts `a`'s dims `da` with `b`'s dims `db` (pairwise): the result has `a`'s free dims
 * then `b`'s free dims. Lowered to permute → reshape → mm → reshape.
 */
function contract(op: string, a: Tensor, b: Tensor, da: readonly number[], db: readonly number[]): Tensor {
  if (da.length !== db.length) throw new ValueError(`${op}: both dimension lists should have same length`);
  for (let i = 0; i < da.length; i++) {
    if (a.shape[da[i]!] !== b.shape[db[i]!]) {
      throw new ShapeError(
        `${op}: contracted dimensions need to match, but first has size ${a.shape[da[i]!]} in dim ${da[i]} and second has size ${b.shape[db[i]!]} in dim ${db[i]}`,
      );
    }
  }
  const freeA = a.shape.map((_, d) => d).filter((d) => !da.includes(d));
  const freeB = b.shape.map((_, d) => d).filter((d) => !db.includes(d));
  const k = numelOf(da.map((d) => a.shape[d]!));
  const owned: Tensor[] = [];
  try {
    const pa = permute(a, [...freeA, ...da]);
    owned.push(pa);
    const ra = reshape(pa, [numelOf(freeA.map((d) => a.shape[d]!)), k]);
    owned.push(ra);
    const pb = permute(b, [...db, ...freeB]);
    owned.push(pb);
    const rb = reshape(pb, [k, numelOf(freeB.map((d) => b.shape[d]!))]);
    owned.push(rb);
    const p = mm(ra, rb);
    owned.push(p);
    return reshape(p, [...freeA.map((d) => a.shape[d]!), ...freeB.map((d) => b.shape[d]!)]);
  } finally {
    for (const t of owned) t.dispose();
  }
}

/**
 * `torch.tensordot(a, b, dims=2)`: `dims` is a count (the last `dims` of `a` with the first
 * `dims` of `b`) or two lists of dims to contract pairwise.
 */
export function tensordot(a: Tensor, b: Tensor, dims: number | readonly [readonly number[], readonly number[]] = 2): Tensor {
  let da: number[];
  let db: number[];
  if (typeof dims === 'number') {
    if (!Number.isInteger(dims) || dims < 0) throw new ValueError(`tensordot expects dims >= 0, but got dims=${dims}`);
    if (dims > a.ndim || dims > b.ndim) throw new ValueError(`tensordot expects dims < ndim_a or ndim_b, but got dims=${dims}`);
    da = Array.from({ length: dims }, (_, i) => a.ndim - dims + i);
    db = Array.from({ length: dims }, (_, i) => i);
  } else {
    da = dims[0].map((d) => normalizeDim(d, a.ndim, 'tensordot'));
    db = dims[1].map((d) => normalizeDim(d, b.ndim, 'tensordot'));
  }
  return contract('tensordot', a, b, da, db);
}

// ---- einsum ---------------------------------------------------------------------------------------------

/** Labels beyond ASCII stand for the dims an ellipsis covers (right-aligned across operands). */
const ELLIPSIS_BASE = 0x100;

interface Term {
  labels: string[];
}

function parseTerm(term: string, ndim: number, maxEllipsis: number, op: number): Term {
  const labels: string[] = [];
  let i = 0;
  let sawEllipsis = false;
  const letters = term.replace('...', '').length;
  while (i < term.length) {
    if (term.startsWith('...', i)) {
      if (sawEllipsis) throw new ValueError('einsum(): found more than one ellipsis ("...") in a subscript');
      sawEllipsis = true;
      const k = ndim - letters;
      for (let e = maxEllipsis - k; e < maxEllipsis; e++) labels.push(String.fromCharCode(ELLIPSIS_BASE + e));
      i += 3;
      continue;
    }
    const c = term[i]!;
    if (!/[a-zA-Z]/.test(c)) throw new ValueError(`einsum(): invalid subscript given at index ${i} in the equation string, subscripts must be in [a-zA-Z]`);
    labels.push(c);
    i++;
  }
  if (labels.length !== ndim) {
    throw new ShapeError(
      `einsum(): the number of subscripts in the equation (${sawEllipsis ? letters : labels.length}) ` +
        `${sawEllipsis ? 'is more than' : 'does not match'} the number of dimensions (${ndim}) for operand ${op}${sawEllipsis ? '' : ' and no ellipsis was given'}`,
    );
  }
  return { labels };
}

/** A working operand: a tensor whose dims carry `labels` (the tensor is owned unless it is an input). */
interface Work {
  t: Tensor;
  labels: string[];
}

/**
 * `torch.einsum(equation, ...operands)`: explicit (`'ij,jk->ik'`) or implicit (`'ij,jk'`, the
 * output is the labels that appear once, sorted) form, with ellipsis broadcasting and repeated
 * subscripts (diagonals, e.g. `'ii->i'`, `'ii'` for a trace). Lowered to diagonal, sum,
 * permute, reshape and matmul, contracting operands left to right.
 */
export function einsum(equation: string, ...operands: (Tensor | readonly Tensor[])[]): Tensor {
  const ops: Tensor[] = operands.length === 1 && Array.isArray(operands[0]) ? [...(operands[0] as readonly Tensor[])] : (operands as Tensor[]);
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',');
  if (terms.length !== ops.length) {
    throw new ValueError(`einsum(): more operands were provided than specified in the equation` + ` (${ops.length} operands, ${terms.length} subscripts)`);
  }
  if (ops.length === 0) throw new ValueError('einsum(): must provide at least one operand');
  const maxEllipsis = Math.max(
    0,
    ...terms.map((t, i) => (t.includes('...') ? ops[i]!.ndim - t.replace('...', '').length : 0)),
  );
  const parsed = terms.map((t, i) => parseTerm(t, ops[i]!.ndim, maxEllipsis, i));

  // Output labels.
  const counts = new Map<string, number>();
  for (const p of parsed) for (const l of p.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const ellipsisLabels = Array.from({ length: maxEllipsis }, (_, e) => String.fromCharCode(ELLIPSIS_BASE + e));
  let out: string[];
  if (arrow >= 0) {
    const rhs = eq.slice(arrow + 2);
    out = [];
    let i = 0;
    while (i < rhs.length) {
      if (rhs.startsWith('...', i)) {
        out.push(...ellipsisLabels);
        i += 3;
        continue;
      }
      const c = rhs[i]!;
      if (!/[a-zA-Z]/.test(c)) throw new ValueError(`einsum(): invalid subscript given at index ${i} in the output, subscripts must be in [a-zA-Z]`);
      if (out.includes(c)) throw new ValueError(`einsum(): output subscript ${c} appears more than once in the output`);
      if (!counts.has(c)) throw new ValueError(`einsum(): output subscript ${c} does not appear in the equation for any input operand`);
      out.push(c);
      i++;
    }
  } else {
    const single = [...counts.entries()].filter(([l, n]) => n === 1 && l.charCodeAt(0) < ELLIPSIS_BASE).map(([l]) => l).sort();
    out = [...ellipsisLabels, ...single];
  }

  // Repeated subscripts within an operand must have equal sizes.
  parsed.forEach((p, i) =>
    p.labels.forEach((l, d) => {
      const first = p.labels.indexOf(l);
      if (first !== d && ops[i]!.shape[first] !== ops[i]!.shape[d]) {
        throw new ShapeError(`einsum(): subscript ${labelName(l)} is repeated for operand ${i} but the sizes don't match, ${ops[i]!.shape[d]} != ${ops[i]!.shape[first]}`);
      }
    }),
  );

  // Sizes, with size-1 broadcasting.
  const size = new Map<string, number>();
  parsed.forEach((p, i) =>
    p.labels.forEach((l, d) => {
      const n = ops[i]!.shape[d]!;
      const have = size.get(l);
      if (have === undefined || have === 1) size.set(l, n);
      else if (n !== have && n !== 1) {
        throw new ShapeError(`einsum(): operands do not broadcast with remapped shapes (original->remapped): subscript ${labelName(l)} has size ${n} for operand ${i} which does not broadcast with previously seen size ${have}`);
      }
    }),
  );

  const owned: Tensor[] = [];
  const own = (t: Tensor): Tensor => {
    owned.push(t);
    return t;
  };
  try {
    // Per operand: take diagonals of repeated labels, then sum labels used nowhere else.
    const work: Work[] = parsed.map((p, i) => {
      let t = ops[i]!;
      let labels = [...p.labels];
      for (;;) {
        const dup = labels.findIndex((l, d) => labels.indexOf(l) !== d);
        if (dup < 0) break;
        const first = labels.indexOf(labels[dup]!);
        if (t.shape[first] !== t.shape[dup]) {
          throw new ShapeError(`einsum(): subscript ${labelName(labels[dup]!)} is repeated for operand ${i} but the sizes don't match, ${t.shape[first]} != ${t.shape[dup]}`);
        }
        t = own(diagonal(t, { dim1: first, dim2: dup }));
        const l = labels[first]!;
        labels = labels.filter((_, d) => d !== first && d !== dup);
        labels.push(l);
      }
      return { t, labels };
    });

    const usedLater = (from: number, l: string): boolean => out.includes(l) || work.slice(from).some((w) => w.labels.includes(l));
    const sumUnused = (w: Work, rest: number, accLabels: readonly string[] = []): Work => {
      const drop = w.labels.map((l, d) => (usedLater(rest, l) || accLabels.includes(l) ? -1 : d)).filter((d) => d >= 0);
      if (drop.length === 0) return w;
      return { t: own(sum(w.t, { dim: drop })), labels: w.labels.filter((_, d) => !drop.includes(d)) };
    };

    let acc = sumUnused(work[0]!, 1);
    for (let i = 1; i < work.length; i++) {
      const next = sumUnused(work[i]!, i + 1, acc.labels);
      acc = sumUnused(contractPair(acc, next, (l) => usedLater(i + 1, l), size, own), i + 1);
    }

    // Reorder to the output labels.
    if (acc.labels.length !== out.length) throw new RuntimeError(`einsum(): internal error: labels ${acc.labels.join('')} vs output ${out.join('')}`);
    const order = out.map((l) => acc.labels.indexOf(l));
    // A new Tensor object in every case (owned intermediates are disposed below).
    return order.every((d, i) => d === i) ? alias(acc.t) : permute(acc.t, order);
  } finally {
    for (const t of owned) t.dispose();
  }
}

function labelName(l: string): string {
  const c = l.charCodeAt(0);
  return c >= ELLIPSIS_BASE ? `... (dim ${c - ELLIPSIS_BASE})` : l;
}

/** Contracts two operands with matmul: batch (shared, kept), left-only, right-only, contracted (shared, not kept). */
function contractPair(a: Work, b: Work, kept: (l: string) => boolean, size: Map<string, number>, own: (t: Tensor) => Tensor): Work {
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const batch = shared.filter(kept);
  const contracted = shared.filter((l) => !kept(l));
  const left = a.labels.filter((l) => !shared.includes(l));
  const right = b.labels.filter((l) => !shared.includes(l));
  const sz = (ls: readonly string[]): number[] => ls.map((l) => size.get(l)!);

  const arrange = (w: Work, order: readonly string[], shape2: number[]): Tensor => {
    const perm = order.map((l) => w.labels.indexOf(l));
    let t = w.t;
    if (!perm.every((d, i) => d === i)) t = own(permute(t, perm));
    // Broadcast size-1 shared dims to the common size.
    const full = sz(order);
    if (!shapesEqual(t.shape, full)) t = own(expand(t, full));
    return own(reshape(t, shape2));
  };
  const nb = numelOf(sz(batch));
  const nl = numelOf(sz(left));
  const nr = numelOf(sz(right));
  const nk = numelOf(sz(contracted));
  const ta = arrange(a, [...batch, ...left, ...contracted], [nb, nl, nk]);
  const tb = arrange(b, [...batch, ...contracted, ...right], [nb, nk, nr]);
  const p = own(matmul(ta, tb));
  const t = reshape(p, [...sz(batch), ...sz(left), ...sz(right)]);
  own(t);
  return { t, labels: [...batch, ...left, ...right] };
}

// ---- cdist -----------------------------------------------------------------------------------------------

/**
 * `torch.cdist(x1, x2, p=2)`: `out[..., i, j] = ‖x1[..., i, :] − x2[..., j, :]‖_p`, batch dims
 * broadcast. Computed from the differences (exact at zero distance; its gradient there is 0,
 * as PyTorch's).
 */
export function cdist(x1: Tensor, x2: Tensor, options: { p?: number } = {}): Tensor {
  const p = options.p ?? 2;
  if (x1.ndim < 2) throw new ShapeError(`cdist only supports at least 2D tensors, X1 got: ${x1.ndim}D`);
  if (x2.ndim < 2) throw new ShapeError(`cdist only supports at least 2D tensors, X2 got: ${x2.ndim}D`);
  if (x1.shape[x1.ndim - 1] !== x2.shape[x2.ndim - 1]) {
    throw new ShapeError(`cdist: X1 and X2 must have the same number of columns. X1: ${x1.shape[x1.ndim - 1]} X2: ${x2.shape[x2.ndim - 1]}`);
  }
  if (!(p >= 0)) throw new ValueError(`cdist only supports non-negative p values (got ${p})`);
  if (x1.dtype !== x2.dtype) throw new DTypeError(`cdist: X1 and X2 must have the same dtype (got ${x1.dtype} and ${x2.dtype})`);
  if (x1.dtype !== 'float32' && x1.dtype !== 'float64' && x1.dtype !== 'float16') {
    throw new DTypeError(`cdist only supports floating-point dtypes, X1 got: ${x1.dtype}`);
  }
  const a = unsqueeze(x1, -2); // [..., P, 1, M]
  const b = unsqueeze(x2, -3); // [..., 1, R, M]
  const d = sub(a, b);
  a.dispose();
  b.dispose();
  try {
    return norm(d, { p, dim: -1 });
  } finally {
    d.dispose();
  }
}

/** `torch.linalg`: the parts Torchlet has. */
export const linalg = {
  /** `torch.linalg.vector_norm(x, ord=2, dim=None, keepdim=False)`. */
  vectorNorm,
  /** `torch.linalg.matmul` is `torch.matmul`. */
  matmul,
  /** `torch.linalg.vecdot(x, y, dim=-1)`: Σ x·y over `dim`. */
  vecdot(x: Tensor, y: Tensor, options: { dim?: number } = {}): Tensor {
    const prodXY = mul(x, y);
    try {
      return sum(prodXY, { dim: options.dim ?? -1 });
    } finally {
      prodXY.dispose();
    }
  },
};

// ---- methods ---------------------------------------------------------------------------------------------

declare module '../core/tensor.js' {
  interface Tensor {
    /** `x.matmul(other)`: the matrix product with PyTorch's rules for 1-D and batched (broadcast) operands. */
    matmul(other: Tensor): Tensor;
    /** `x.mm(mat2)`: the product of two 2-D matrices. */
    mm(other: Tensor): Tensor;
    /** `x.bmm(batch2)`: batched products of [b, n, m] and [b, m, p]. */
    bmm(other: Tensor): Tensor;
    /** `x.mv(vec)`: matrix [n, m] times vector [m]. */
    mv(vec: Tensor): Tensor;
    /** `x.dot(other)`: the inner product of two 1-D tensors. */
    dot(other: Tensor): Tensor;
    /** `x.outer(other)`: the outer product of two 1-D tensors, [n, m]. */
    outer(other: Tensor): Tensor;
    /** `x.addmm(mat1, mat2, beta=1, alpha=1)`: beta · x + alpha · (mat1 @ mat2). */
    addmm(mat1: Tensor, mat2: Tensor, options?: AddmmOptions): Tensor;
    /** `x.baddbmm(batch1, batch2, beta=1, alpha=1)`: beta · x + alpha · bmm(batch1, batch2). */
    baddbmm(batch1: Tensor, batch2: Tensor, options?: AddmmOptions): Tensor;
    /** `x.addmv(mat, vec, beta=1, alpha=1)`: beta · x + alpha · (mat @ vec). */
    addmv(mat: Tensor, vec: Tensor, options?: AddmmOptions): Tensor;
  }
}

/** Puts the linear-algebra methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installLinalgMethods(): void {
  Tensor.prototype.matmul = function (other) {
    return matmul(this, other);
  };
  Tensor.prototype.mm = function (other) {
    return mm(this, other);
  };
  Tensor.prototype.bmm = function (other) {
    return bmm(this, other);
  };
  Tensor.prototype.mv = function (vec) {
    return mv(this, vec);
  };
  Tensor.prototype.dot = function (other) {
    return dot(this, other);
  };
  Tensor.prototype.outer = function (other) {
    return outer(this, other);
  };
  Tensor.prototype.addmm = function (mat1, mat2, options) {
    return addmm(this, mat1, mat2, options);
  };
  Tensor.prototype.baddbmm = function (batch1, batch2, options) {
    return baddbmm(this, batch1, batch2, options);
  };
  Tensor.prototype.addmv = function (mat, vec, options) {
    return addmv(this, mat, vec, options);
  };
}
