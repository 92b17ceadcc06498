/**
 * Fused softmax cross-entropy and its backward in WGSL (semantics in @torchlet/backend's
 * `FusedKernels`, reference in the CPU backend's `kernels/cross-entropy.ts`). One workgroup
 * per row: the threads stride over the classes and combine their partial max / sums in
 * workgroup memory (tree reductions, deterministic), so neither pass materialises an
 * [N, C] intermediate. A target outside [0, C) that is not ignoreIndex raises the index
 * error at the next readback (and gives NaN).
 */
import type { TensorView } from '@torchlet/backend';
import { gpuOf } from '../buffer.js';
import { flagsWGSL, type Access, type GpuRuntime } from '../runtime.js';
import { entryWGSL, f32Word, metaWGSL, storageWGSL } from '../wgsl/codegen.js';
import { MATH_WGSL } from '../wgsl/math.js';

/** Threads per row. */
const WG = 64;

function checkViews(op: string, logits: TensorView, target: TensorView, weight: TensorView | null, rows: readonly [TensorView, string][], grad?: TensorView): void {
  if (logits.dtype !== 'float32' || logits.shape.length !== 2) {
    throw new TypeError(`${op}: logits must be a 2-D float32 view on webgpu (got ${logits.dtype} [${logits.shape.join(', ')}])`);
  }
  const [N, C] = logits.shape as [number, number];
  if (target.dtype !== 'int32' || target.shape.length !== 1 || target.shape[0] !== N) {
    throw new TypeError(`${op}: target must be an int32 view of shape [${N}] (got ${target.dtype} [${target.shape.join(', ')}])`);
  }
  if (weight && (weight.dtype !== 'float32' || weight.shape.length !== 1 || weight.shape[0] !== C)) {
    throw new RangeError(`${op}: weight must be float32 [${C}] (got ${weight.dtype} [${weight.shape.join(', ')}])`);
  }
  for (const [v, what] of rows) {
    if (v.dtype !== 'float32' || v.shape.length !== 1 || v.shape[0] !== N) throw new RangeError(`${op}: ${what} must be float32 [${N}] (got [${v.shape.join(', ')}])`);
  }
  if (grad && (grad.dtype !== 'float32' || grad.shape.length !== 2 || grad.shape[0] !== N || grad.shape[1] !== C)) {
    throw new RangeError(`${op}: gradLogits must be float32 [${N}, ${C}] (got [${grad.shape.join(', ')}])`);
  }
}

interface Operand {
  readonly name: string;
  readonly view: TensorView;
  readonly write?: boolean;
}

/**
 * Builds (once per key) and dispatches a one-workgroup-per-row kernel: each operand is bound
 * as `b_<name>` with its offset and strides in the meta words after `head`, read in the body
 * as `<name>_o`, `<name>_s0`, `<name>_s1`.
 */
function runPerRow(rt: GpuRuntime, key: string, N: number, head: readonly number[], operands: readonly Operand[], body: string): void {
  if (N === 0) return;
  const metaWords = head.length + 3 * operands.length;
  const access: Access[] = operands.map((o) => (o.write ? 'read_write' : 'read'));
  const kernel = rt.kernel(`crossEntropy:${key}`, () => {
    let decls = '';
    let locals = '';
    operands.forEach((o, i) => {
      decls += storageWGSL(i + 1, `b_${o.name}`, o.view.dtype, access[i]!);
      const at = head.length + 3 * i;
      locals += `  let ${o.name}_o = M(${at}u); let ${o.name}_s0 = M(${at + 1}u); let ${o.name}_s1 = M(${at + 2}u);\n`;
    });
    const code = [
      MATH_WGSL,
      metaWGSL(metaWords),
      decls,
      flagsWGSL(operands.length + 1),
      `var<workgroup> red0: array<f32, ${WG}>;`,
      `var<workgroup> red1: array<f32, ${WG}>;`,
      `var<workgroup> red2: array<f32, ${WG}>;`,
      entryWGSL(WG),
      '  let r = i32(wid);',
      '  if (r >= M(0u)) { return; }',
      '  let C = M(1u);',
      '  let ignore = M(2u);',
      '  let c1 = MF(3u);',
      '  let c2 = MF(4u);',
      '  let li = i32(lid);',
      locals,
      body,
      '}',
    ].join('\n');
    return { code, access, metaWords, flags: true };
  });
  const meta = new Int32Array(metaWords);
  meta.set(head);
  operands.forEach((o, i) => {
    const at = head.length + 3 * i;
    meta[at] = o.view.offset;
    meta[at + 1] = o.view.strides[0] ?? 0;
    meta[at + 2] = o.view.strides[1] ?? 0;
  });
  rt.dispatch(
    kernel,
    operands.map((o) => gpuOf(o.view)),
    meta,
    N,
  );
}

/** WGSL: a tree reduction of `red0..red(n-1)` in workgroup memory (every thread calls it). */
function reduceWGSL(arrays: readonly string[], op: 'max' | 'add'): string {
  const comb = (a: string) => (op === 'max' ? `${a}[lid] = max(${a}[lid], ${a}[lid + s]);` : `${a}[lid] = ${a}[lid] + ${a}[lid + s];`);
  return `  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { ${arrays.map(comb).join(' ')} }
    workgroupBarrier();
  }`;
}

export function softmaxCrossEntropy(
  rt: GpuRuntime,
  logits: TensorView,
  target: TensorView,
  weight: TensorView | null,
  ignoreIndex: number,
  labelSmoothing: number,
  loss: TensorView,
  lse: TensorView,
): void {
  const op = 'softmaxCrossEntropy';
  checkViews(op, logits, target, weight, [
    [loss, 'loss'],
    [lse, 'lse'],
  ]);
  const [N, C] = logits.shape as [number, number];
  const smooth = labelSmoothing > 0;
  const hasW = weight !== null;
  const operands: Operand[] = [
    { name: 'x', view: logits },
    { name: 't', view: target },
    { name: 'loss', view: loss, write: true },
    { name: 'lse', view: lse, write: true },
  ];
  if (weight) operands.push({ name: 'w', view: weight });
  const wAt = (c: string) => (hasW ? `b_w[w_o + ${c} * w_s0]` : '1.0');
  const body = `
  let xb = x_o + r * x_s0;
  // pass 1: the row max (NaN noted apart: WGSL's max may drop it)
  var m = -f_inf();
  var nan = 0.0;
  for (var c = li; c < C; c = c + ${WG}) {
    let v = b_x[xb + c * x_s1];
    if (is_nan(v)) { nan = 1.0; } else { m = max(m, v); }
  }
  red0[lid] = m;
  red1[lid] = nan;
${reduceWGSL(['red0', 'red1'], 'max')}
  let mx = red0[0];
  let any_nan = red1[0] > 0.0;
  workgroupBarrier();
  // pass 2: Σ exp(x − max)${smooth ? ', Σ w·(x − max) and Σ w' : ''}
  var se = 0.0;
  var z = 0.0;
  var wsum = 0.0;
  for (var c = li; c < C; c = c + ${WG}) {
    let v = b_x[xb + c * x_s1] - mx;
    se = se + t_exp(v);
    ${smooth ? `let wc = ${wAt('c')}; z = z + wc * v; wsum = wsum + wc;` : ''}
  }
  red0[lid] = se;
  red1[lid] = z;
  red2[lid] = wsum;
${reduceWGSL(smooth ? ['red0', 'red1', 'red2'] : ['red0'], 'add')}
  if (lid != 0u) { return; }
  let ls = t_log(red0[0]);
  var l = 0.0;
  let k = b_t[t_o + r * t_s0];
  if (k != ignore) {
    if (k < 0 || k >= C) {
      raise_index(k, C);
      l = f_nan();
    } else {
      let wt = ${wAt('k')};
      l = c1 * wt * (ls - (b_x[xb + k * x_s1] - mx));
      ${smooth ? 'l = l + c2 * (red2[0] * ls - red1[0]);' : ''}
    }
    if (any_nan) { l = f_nan(); }
  }
  b_loss[loss_o + r * loss_s0] = l;
  b_lse[lse_o + r * lse_s0] = select(mx + ls, f_nan(), any_nan);`;
  runPerRow(rt, `fwd.w${+hasW}.s${+smooth}`, N, [N, C, ignoreIndex, f32Word(1 - labelSmoothing), f32Word(labelSmoothing / C)], operands, body);
}

export function softmaxCrossEntropyBackward(
  rt: GpuRuntime,
  gradLoss: TensorView,
  gradLse: TensorView | null,
  logits: TensorView,
  target: TensorView,
  weight: TensorView | null,
  lse: TensorView,
  ignoreIndex: number,
  labelSmoothing: number,
  gradLogits: TensorView,
): void {
  const op = 'softmaxCrossEntropyBackward';
  const rows: [TensorView, string][] = [
    [gradLoss, 'gradLoss'],
    [lse, 'lse'],
  ];
  if (gradLse) rows.push([gradLse, 'gradLse']);
  checkViews(op, logits, target, weight, rows, gradLogits);
  const [N, C] = logits.shape as [number, number];
  const smoothW = labelSmoothing > 0 && weight !== null;
  const hasW = weight !== null;
  const operands: Operand[] = [
    { name: 'x', view: logits },
    { name: 't', view: target },
    { name: 'g', view: gradLoss },
    { name: 'lse', view: lse },
    { name: 'o', view: gradLogits, write: true },
  ];
  if (gradLse) operands.push({ name: 'h', view: gradLse });
  if (weight) operands.push({ name: 'w', view: weight });
  const body = `
  // W = Σ w (before any branch on data: barriers need uniform control flow)
  var W = f32(C);
  ${
    smoothW
      ? `var ws = 0.0;
  for (var c = li; c < C; c = c + ${WG}) { ws = ws + b_w[w_o + c * w_s0]; }
  red0[lid] = ws;
${reduceWGSL(['red0'], 'add')}
  W = red0[0];`
      : ''
  }
  let ob = o_o + r * o_s0;
  let k = b_t[t_o + r * t_s0];
  let ign = k == ignore;
  let hv = ${gradLse ? 'b_h[h_o + r * h_s0]' : '0.0'};
  if (!ign && (k < 0 || k >= C)) {
    if (lid == 0u) { raise_index(k, C); }
    for (var c = li; c < C; c = c + ${WG}) { b_o[ob + c * o_s1] = f_nan(); }
    return;
  }
  if (ign && hv == 0.0) {
    for (var c = li; c < C; c = c + ${WG}) { b_o[ob + c * o_s1] = 0.0; }
    return;
  }
  // an ignored row keeps only the lse term
  let g = select(b_g[g_o + r * g_s0], 0.0, ign);
  var wt = 1.0;
  ${hasW ? 'if (!ign) { wt = b_w[w_o + k * w_s0]; }' : ''}
  let L = b_lse[lse_o + r * lse_s0];
  let A = g * (c1 * wt + c2 * W) + hv;
  let B = g * c2;
  let pt = g * c1 * wt;
  let xb = x_o + r * x_s0;
  for (var c = li; c < C; c = c + ${WG}) {
    var v = A * t_exp(b_x[xb + c * x_s1] - L) - B${hasW ? ' * b_w[w_o + c * w_s0]' : ''};
    if (c == k && !ign) { v = v - pt; }
    b_o[ob + c * o_s1] = v;
  }`;
  runPerRow(rt, `bwd.w${+hasW}.s${+smoothW}.h${gradLse ? 1 : 0}`, N, [N, C, ignoreIndex, f32Word(1 - labelSmoothing), f32Word(labelSmoothing / C)], operands, body);
}
