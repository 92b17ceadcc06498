/**
 * Custom differentiable functions, as `torch.autograd.Function`:
 *
 * ```ts
 * class Square extends Function {
 *   static override forward(ctx: FunctionCtx, x: Tensor) { ctx.saveForBackward(x); return x.mul(x); }
 *   static override backward(ctx: FunctionCtx, g: Tensor) { const [x] = ctx.savedTensors; return g.mul(x!).mul(2); }
 * }
 * const y = Square.apply(x);
 * ```
 *
 * `forward` runs without recording; `apply` records one node whose backward calls the
 * class's `backward` (recorded itself under `createGraph`, so it can be differentiated again).
 */
import { RuntimeError, Tensor, alias, keep, viewOf } from '@torchlet/tensor';
import { SavedTensor, edgeOf, type BackwardContext, type Edge, type Node } from './graph.js';
import { isRecording, withoutRecording } from './mode.js';
import { recordNode } from './record.js';

/** What `forward` and `backward` receive; extra properties may hold non-tensor state. */
export class FunctionCtx {
  [key: string]: unknown;
  /** One flag per forward argument: whether it is a tensor that requires grad. */
  needsInputGrad: readonly boolean[] = [];
  #pending: (Tensor | null)[] | null = null;
  #nonDifferentiable = new Set<Tensor>();
  #backward: BackwardContext | null = null;
  #count = 0;

  /** Saves tensors (inputs, outputs or intermediates) for `backward`. Call once, in `forward`. */
  saveForBackward(...tensors: (Tensor | null)[]): void {
    for (const t of this.#pending ?? []) t?.dispose();
    this.#pending = tensors.map((t) => (t ? keep(viewOf(t, t.shape, t.strides, t.offset)) : null));
    this.#originals = tensors;
  }

  #originals: readonly (Tensor | null)[] = [];

  /** Outputs that are not differentiable (e.g. indices): they get no history. */
  markNonDifferentiable(...tensors: Tensor[]): void {
    for (const t of tensors) this.#nonDifferentiable.add(t);
  }

  /** In `backward`: the tensors saved in `forward` (checked against in-place modification). */
  get savedTensors(): (Tensor | null)[] {
    const b = this.#backward;
    if (!b) throw new RuntimeError('savedTensors is only available in backward (use the tensors directly in forward)');
    const out: (Tensor | null)[] = [];
    for (let k = 0; k < this.#count; k++) out.push(this.#slots[k] === null ? null : b.saved(this.#slots[k]!));
    return out;
  }

  #slots: (number | null)[] = [];

  /** @internal Turns the pending saves into SavedTensors once the outputs are known. */
  _finishForward(outs: readonly Tensor[], inputs: readonly Tensor[], edges: readonly (Edge | null)[], record: boolean, node?: Node): void {
    const pending = this.#pending ?? [];
    this.#pending = null;
    if (!record || !node) {
      for (const t of pending) t?.dispose();
      this.#originals = [];
      return;
    }
    const list: SavedTensor[] = [];
    this.#slots = [];
    this.#count = pending.length;
    pending.forEach((p, k) => {
      const orig = this.#originals[k];
      if (!p || !orig) {
        this.#slots.push(null);
        return;
      }
      const outNr = outs.indexOf(orig);
      const inNr = inputs.indexOf(orig);
      let edge: Edge | null = null;
      let producer: string | null = null;
      if (outNr >= 0 && orig.gradFn === node) {
        edge = { node, nr: outNr };
        producer = `output ${outNr} of ${node.name}`;
      } else if (inNr >= 0) {
        edge = edges[inNr] ?? null;
        producer = orig.gradFn ? `output ${edge?.nr ?? 0} of ${orig.gradFn.name}` : null;
      }
      list.push(new SavedTensor(p, edge, producer));
      p.dispose();
      this.#slots.push(list.length - 1);
    });
    this.#originals = [];
    node.savedList = list;
  }

  /** @internal */
  _isNonDifferentiable(t: Tensor): boolean {
    return this.#nonDifferentiable.has(t);
  }

  /** @internal */
  _enterBackward(b: BackwardContext | null): void {
    this.#backward = b;
  }
}

type Output = Tensor | readonly Tensor[];

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Base class of custom differentiable functions (`torch.autograd.Function`). */
export class Function {
  /** Computes the outputs; runs without recording. Override with `static override forward`. */
  static forward(_ctx: FunctionCtx, ..._args: any[]): Output {
    throw new RuntimeError(`${this.name}.forward is not implemented`);
  }

  /** One gradient per forward argument (null for non-tensors or where none). Override it. */
  static backward(_ctx: FunctionCtx, ..._grads: (Tensor | null)[]): Tensor | null | readonly (Tensor | null | undefined)[] {
    throw new RuntimeError(`${this.name}.backward is not implemented`);
  }

  /** Runs `forward` and records one node whose backward is this class's `backward`. */
  static apply<F extends typeof Function>(this: F, ...args: Parameters<F['forward']> extends [FunctionCtx, ...infer R] ? R : any[]): ReturnType<F['forward']> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the class, used inside the node's closure
    const cls = this;
    const ctx = new FunctionCtx();
    ctx.needsInputGrad = args.map((a) => a instanceof Tensor && a.requiresGrad);
    const record = isRecording() && ctx.needsInputGrad.some(Boolean);
    const positions: number[] = [];
    const inputs: Tensor[] = [];
    args.forEach((a, i) => {
      if (a instanceof Tensor) {
        positions.push(i);
        inputs.push(a);
      }
    });
    const edges = inputs.map((t) => (record && t.requiresGrad ? edgeOf(t) : null));
    const result = withoutRecording(() => cls.forward(ctx, ...args));
    if (isThenable(result)) throw new TypeError(`${cls.name}.forward returned a Promise; Function.forward must be synchronous`);
    const single = !Array.isArray(result);
    // An input returned as is becomes a new tensor object (ops never return their inputs).
    const outs = (single ? [result as Tensor] : [...(result as readonly Tensor[])]).map((o) =>
      inputs.includes(o) ? withoutRecording(() => alias(o)) : o,
    );
    if (!record) {
      ctx._finishForward(outs, inputs, edges, false);
      return (single ? outs[0] : outs) as ReturnType<F['forward']>;
    }
    const mask = outs.map((o) => !ctx._isNonDifferentiable(o));
    const node = recordNode(
      `${cls.name}Backward`,
      {
        backward: (bctx, grads) => {
          ctx._enterBackward(bctx);
          try {
            const r = cls.backward(ctx, ...outs.map((_, k) => grads[k] ?? null));
            const list = Array.isArray(r) ? (r as readonly (Tensor | null | undefined)[]) : [r as Tensor | null];
            if (list.length !== args.length) {
              throw new RuntimeError(`function ${cls.name}Backward returned an incorrect number of gradients (expected ${args.length}, got ${list.length})`);
            }
            return positions.map((p) => list[p] ?? null);
          } finally {
            ctx._enterBackward(null);
          }
        },
      },
      inputs,
      null,
      outs,
      edges,
      mask,
    );
    ctx._finishForward(outs, inputs, edges, node !== null, node ?? undefined);
    return (single ? outs[0] : outs) as ReturnType<F['forward']>;
  }
}
