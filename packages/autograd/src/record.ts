/**
 * Recording: the interceptor autograd installs in the tensor core's chain. For each
 * dispatched call with grad mode on, a differentiable op and an input that requires grad,
 * it runs the op with recording suspended and records one `Node`. Composites without a
 * formula of their own just run: their parts record themselves.
 */
import { isFloating, type Storage } from '@torchlet/backend';
import { RuntimeError, call1, clone, getOp, reshape, sub, type Interceptor, type OpCall, type OpOutput, type Tensor } from '@torchlet/tensor';
import { backwardName, getDerivative, type Derivative } from './derivatives/table.js';
import { Node, SavedTensor, edgeOf, infoOf, metaOf, peekMeta, setHistory, unref, viewSteps, type BackwardContext, type Edge, type ViewStep } from './graph.js';
import { isRecording, mode, withoutRecording } from './mode.js';

function outputsOf(out: OpOutput): readonly Tensor[] {
  return Array.isArray(out) ? (out as readonly Tensor[]) : [out as Tensor];
}

/** Storages being written by the in-place composites now running. */
const inplaceTargets: Storage[] = [];

/** Storage → its version right after a recorded in-place op gave its owner a new history. */
const rebased = new WeakMap<Storage, number>();

function markViews(out: OpOutput, call: OpCall): void {
  const input = call.inputs[0]!;
  const inMeta = peekMeta(input);
  const base = inMeta?.base ?? input;
  const version = input.storage.version;
  const chain: ViewStep = { op: call.op.name, attrs: call.attrs, inShape: input.shape, prev: inMeta?.chain ?? null };
  for (const t of outputsOf(out)) {
    const m = metaOf(t);
    m.base = base;
    m.viewVersion = version;
    m.chain = chain;
  }
}

/** A view made before its base got a new history (in place) would send gradients to the old one. */
function checkStale(t: Tensor): void {
  const m = peekMeta(t);
  if (!m?.base) return;
  const r = rebased.get(t.storage);
  if (r !== undefined && (m.viewVersion ?? 0) < r) {
    throw new RuntimeError(
      'a view was created before its base was modified by a differentiable in-place operation; using the stale view in autograd ' +
        'is not supported yet. Create the view again after the in-place operation (or clone() it before).',
    );
  }
}

function producerOf(t: Tensor, edge: Edge | null): string | null {
  if (!t.gradFn || !edge) return null;
  return `output ${edge.nr} of ${t.gradFn.name}`;
}

function captureTrace(): string {
  const stack = new Error().stack ?? '';
  // Drop the frames inside autograd and the dispatcher.
  return stack
    .split('\n')
    .slice(1)
    .filter((l) => !/[\\/](autograd|dispatch)[\\/]/.test(l))
    .join('\n');
}

/** Records a node for a call that already ran; `outs` get it as their `gradFn`. */
export function recordNode(
  name: string,
  d: Pick<Derivative, 'backward' | 'save'>,
  inputs: readonly Tensor[],
  attrs: unknown,
  outs: readonly Tensor[],
  nextEdges?: readonly (Edge | null)[],
  differentiable?: readonly boolean[],
): Node | null {
  const diffOut = outs.map((t, k) => isFloating(t.dtype) && (differentiable?.[k] ?? true));
  // No output can carry a gradient (e.g. a cast to int32): nothing to record.
  if (!diffOut.includes(true)) return null;
  const needs = inputs.map((t) => t.requiresGrad);
  const next = nextEdges ?? inputs.map((t, i) => (needs[i] ? edgeOf(t) : null));
  const node = new Node(name, d.backward, attrs, next, inputs.map(infoOf), outs.map(infoOf), diffOut);
  const spec = typeof d.save === 'function' ? d.save(needs, attrs) : d.save;
  if (spec?.inputs) {
    for (const i of spec.inputs) {
      const t = inputs[i]!;
      if (inplaceTargets.includes(t.storage)) {
        // The in-place op being computed will overwrite t: save its original values (PyTorch's original_self).
        const copy = withoutRecording(() => clone(t));
        node.savedInputs[i] = new SavedTensor(copy, next[i] ?? null, producerOf(t, next[i] ?? null));
        copy.dispose();
      } else node.savedInputs[i] = new SavedTensor(t, next[i] ?? null, producerOf(t, next[i] ?? null));
    }
  }
  for (let k = 0; k < outs.length; k++) if (diffOut[k]) setHistory(outs[k]!, node, k);
  if (spec?.outputs) {
    for (const k of spec.outputs) {
      node.savedOutputs[k] = new SavedTensor(outs[k]!, diffOut[k] ? { node, nr: k } : null, `output ${k} of ${node.name}`);
    }
  }
  if (mode.anomaly) node.trace = captureTrace();
  return node;
}

const LEAF_INPLACE = 'a leaf Variable that requires grad is being used in an in-place operation.';

/** Non-differentiable in-place ops (random fills) cut the history: no gradient flows back. */
const CUT: Derivative = { backward: (ctx) => new Array(ctx.numInputs).fill(null) };

function recordInplace(call: OpCall, next: () => OpOutput): OpOutput {
  const { op, inputs } = call;
  const dst = inputs[0]!;
  if (dst.requiresGrad && dst.isLeaf) throw new RuntimeError(LEAF_INPLACE);
  const base = peekMeta(dst)?.base;
  if (base && base.requiresGrad && base.isLeaf) throw new RuntimeError(`a view of ${LEAF_INPLACE}`);
  if (op.kind === 'composite') {
    // Its parts record and the in-place primitive rebases; parts that save dst save a copy.
    inplaceTargets.push(dst.storage);
    try {
      return next();
    } finally {
      inplaceTargets.pop();
    }
  }
  let srcNeeds = false;
  if (op.differentiable) {
    for (let i = 1; i < inputs.length; i++) {
      checkStale(inputs[i]!);
      if (inputs[i]!.requiresGrad) srcNeeds = true;
    }
  }
  if (!dst.requiresGrad && !srcNeeds && !(base && base.requiresGrad)) return next();
  if (base) return recordViewInplace(call, next, base, srcNeeds);
  const d = op.differentiable ? getDerivative(op.name) : CUT;
  if (!d) throw new RuntimeError(`${op.name}: autograd has no derivative for this in-place op`);
  // copy_ (and a random fill) overwrites every element of dst: its old history gets no
  // gradient, so the new node needs no edge to it (and need not keep it alive).
  const edges = inputs.map((t, i) => (i > 0 && op.differentiable ? edgeOf(t) : null));
  const out = withoutRecording(next);
  const old = dst.gradFn as Node | null;
  const node = recordNode(
    op.name === 'copy_' ? 'CopyBackwards' : (d.name ?? backwardName(op.name)),
    d,
    inputs,
    call.attrs,
    [dst],
    edges,
  );
  // Rebase: dst's history is now the new node; dst no longer references the old one.
  if (old && node) unref(old);
  rebased.set(dst.storage, dst.storage.version);
  return out;
}

/** The view ops' derivatives, applied in reverse: a gradient of the view placed in its base's shape. */
function embed(chain: readonly ViewStep[], g: Tensor): Tensor {
  let r = g;
  for (let k = chain.length - 1; k >= 0; k--) {
    const step = chain[k]!;
    const d = getDerivative(step.op);
    if (!d) throw new RuntimeError(`${step.op}: autograd has no derivative for this view op`);
    const info = { shape: step.inShape, dtype: r.dtype, device: r.device };
    const ctx: BackwardContext = {
      attrs: step.attrs,
      name: step.op,
      numInputs: 1,
      input: () => {
        throw new Error('view derivatives use no saved tensors');
      },
      output: () => {
        throw new Error('view derivatives use no saved tensors');
      },
      saved: () => {
        throw new Error('view derivatives use no saved tensors');
      },
      inputInfo: () => info,
      outputInfo: () => ({ shape: r.shape, dtype: r.dtype, device: r.device }),
      needsInputGrad: () => true,
    };
    r = d.backward(ctx, [r])[0]!;
  }
  return r;
}

/** The view ops replayed on a tensor shaped like the base (a gradient). */
function region(chain: readonly ViewStep[], g: Tensor): Tensor {
  let r = g;
  // A gradient may be laid out so that `view` cannot apply; reshape copies then.
  for (const step of chain) r = step.op === 'view' ? reshape(r, step.attrs.shape as number[]) : call1(getOp(step.op), [r], step.attrs);
  return r;
}

/**
 * `view.copy_(src)` where the view's base takes part in autograd (PyTorch's CopySlices):
 * the base gets a new history (its old gradient with the written region zeroed, and src's
 * gradient from that region), and the view becomes a view of that new history.
 */
function recordViewInplace(call: OpCall, next: () => OpOutput, base: Tensor, srcNeeds: boolean): OpOutput {
  const { op, inputs } = call;
  if (op.differentiable && op.name !== 'copy_') {
    throw new RuntimeError(`${op.name}: a differentiable in-place primitive other than copy_ on a view is not supported yet`);
  }
  const dst = inputs[0]!;
  const src = op.differentiable ? inputs[1] : undefined;
  // (dst's own history does not matter: its values are overwritten, the rest comes from the base.)
  const meta = peekMeta(dst)!;
  const chain = viewSteps(meta.chain);
  const baseEdge = base.isDisposed ? null : edgeOf(base);
  const srcEdge = src && srcNeeds ? edgeOf(src) : null;
  const baseInfo = { shape: chain[0]?.inShape ?? dst.shape, dtype: dst.dtype, device: dst.device };
  const out = withoutRecording(next);
  const copySlices = new Node(
    'CopySlices',
    (_ctx, [g]) => {
      const piece = region(chain, g!);
      return [sub(g!, embed(chain, piece)), piece];
    },
    null,
    [baseEdge, srcEdge],
    [baseInfo, src ? infoOf(src) : baseInfo],
    [baseInfo],
    [true],
  );
  if (!base.isDisposed) {
    const oldBase = base.gradFn as Node | null;
    setHistory(base, copySlices, 0);
    if (oldBase) oldBase.refs--; // the new node holds an edge to it instead
  }
  const viewNode = new Node('AsStridedBackward0', (_ctx, [g]) => [embed(chain, g!)], null, [{ node: copySlices, nr: 0 }], [baseInfo], [infoOf(dst)], [true]);
  const oldView = dst.gradFn as Node | null;
  setHistory(dst, viewNode, 0);
  if (oldView) unref(oldView);
  // If the base is gone, the view node keeps CopySlices alive; otherwise both do.
  const version = dst.storage.version;
  rebased.set(dst.storage, version);
  meta.viewVersion = version;
  if (mode.anomaly) copySlices.trace = viewNode.trace = captureTrace();
  return out;
}

export const autogradInterceptor: Interceptor = {
  name: 'autograd',
  order: 100,
  intercept(call: OpCall, next: () => OpOutput): OpOutput {
    const op = call.op;
    if (!isRecording()) {
      if (op.kind !== 'view') return next();
      const out = next();
      markViews(out, call);
      return out;
    }
    if (op.inplace) return recordInplace(call, next);
    const inputs = call.inputs;
    let needs = false;
    if (op.differentiable) {
      for (const t of inputs) {
        if (t.autogradMeta) checkStale(t);
        if (t.requiresGrad) needs = true;
      }
    }
    if (!needs || (op.kind === 'composite' && !op.ownDerivative)) {
      const out = next();
      if (op.kind === 'view') markViews(out, call);
      return out;
    }
    const d = getDerivative(op.name);
    if (!d) {
      throw new RuntimeError(
        `${op.name}: autograd has no derivative for this op (add one with defineDerivatives, or register the op with differentiable: false)`,
      );
    }
    const out = withoutRecording(next);
    if (op.kind === 'view') markViews(out, call);
    recordNode(d.name ?? backwardName(op.name), d, inputs, call.attrs, outputsOf(out), undefined, d.differentiableOutputs);
    return out;
  },
};
