/**
 * The recorded graph: `Node`s (one per differentiable op call), `AccumulateGrad` sinks for
 * leaves, and saved tensors with their version stamps.
 *
 * Memory is exact. Each saved tensor holds its own storage reference, released when the
 * node's backward has run (unless `retainGraph`) or when nothing can reach the node any
 * more: a node counts the live tensors whose `gradFn` it is plus the edges of live
 * downstream nodes, and at zero it frees what it saved and releases its own edges.
 */
import { RuntimeError, keep, viewOf, type GradFn, type GradHook, type Shape, type Tensor } from '@torchlet/tensor';
import type { DType, DeviceName } from '@torchlet/backend';

/** A gradient hook: may return a replacement gradient (which autograd then owns). */
export type { GradHook };

/** Where a gradient flows: slot `nr` of `node`'s outputs. */
export interface Edge {
  readonly node: GraphNode;
  readonly nr: number;
}

export type GraphNode = Node | AccumulateGrad;

/** Autograd's bookkeeping on a tensor (`tensor.autogradMeta`). */
export interface AutogradMeta {
  /** Which output of its `gradFn` this tensor is. */
  outputNr?: number;
  /** A leaf's gradient sink (shared by views of saved leaves unpacked for double backward). */
  accumulator?: AccumulateGrad;
  /** `retainGrad()` was called (non-leaf). */
  retainsGrad?: boolean;
  /** For views: the tensor whose storage this one views, and that storage's version then. */
  base?: Tensor;
  viewVersion?: number;
  /** For views: the last registered view op on the way from `base` to this tensor (a linked list back to it). */
  chain?: ViewStep;
}

/** One registered view op applied on the way from a base to a view. */
export interface ViewStep {
  readonly op: string;
  readonly attrs: any;
  readonly inShape: Shape;
  readonly prev: ViewStep | null;
}

/** The view ops from the base to the view, in order. */
export function viewSteps(last: ViewStep | undefined): ViewStep[] {
  const out: ViewStep[] = [];
  for (let s: ViewStep | null | undefined = last; s; s = s.prev) out.push(s);
  return out.reverse();
}

export function metaOf(t: Tensor): AutogradMeta {
  return (t.autogradMeta ??= {}) as AutogradMeta;
}

export function peekMeta(t: Tensor): AutogradMeta | null {
  return t.autogradMeta as AutogradMeta | null;
}

/** The sink that accumulates into a leaf's `.grad`. */
export class AccumulateGrad implements GradFn {
  readonly name = 'AccumulateGrad';
  hooks: GradHook[] = [];
  constructor(readonly variable: Tensor) {}

  get nextFunctions(): readonly [GradFn | null, number][] {
    return [];
  }
}

export function accumulatorOf(leaf: Tensor): AccumulateGrad {
  const meta = metaOf(leaf);
  return (meta.accumulator ??= new AccumulateGrad(leaf));
}

/** The edge a gradient for `t` flows along, or null when `t` does not require grad. */
export function edgeOf(t: Tensor): Edge | null {
  if (t.gradFn) return { node: t.gradFn as Node, nr: peekMeta(t)?.outputNr ?? 0 };
  if (t.requiresGrad) return { node: accumulatorOf(t), nr: 0 };
  return null;
}

const TYPE_NAMES: Record<string, string> = {
  float32: 'torch.FloatTensor',
  float64: 'torch.DoubleTensor',
  float16: 'torch.HalfTensor',
  int32: 'torch.IntTensor',
  bool: 'torch.BoolTensor',
};

export const FREED_MESSAGE =
  'Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). ' +
  'Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). ' +
  'Specify retainGraph: true if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.';

/** A tensor a node saved for its backward: its own storage reference and the version it had. */
export class SavedTensor {
  #data: Tensor | null;
  readonly version: number;
  readonly requiresGrad: boolean;

  /**
   * @param edge where the saved tensor's own gradient flows (for double backward)
   * @param producer the name of the function that produced it and which output ("output 0 of ExpBackward0")
   */
  constructor(
    t: Tensor,
    readonly edge: Edge | null,
    readonly producer: string | null,
  ) {
    this.#data = keep(viewOf(t, t.shape, t.strides, t.offset));
    this.version = t.storage.version;
    this.requiresGrad = edge !== null;
  }

  get isFreed(): boolean {
    return this.#data === null;
  }

  /** The saved value (no graph), after checking it was not freed or modified in place. */
  data(): Tensor {
    const d = this.#data;
    if (!d) throw new RuntimeError(FREED_MESSAGE);
    const now = d.storage.version;
    if (now !== this.version) {
      const type = TYPE_NAMES[d.dtype] ?? d.dtype;
      const which = this.producer ? `, which is ${this.producer},` : '';
      throw new RuntimeError(
        'one of the variables needed for gradient computation has been modified by an inplace operation: ' +
          `[${type} [${d.shape.join(', ')}]]${which} is at version ${now}; expected version ${this.version} instead. ` +
          'Hint: enable anomaly detection to find the operation that failed to compute its gradient, with autograd.detectAnomaly().',
      );
    }
    return d;
  }

  free(): void {
    const d = this.#data;
    if (d) {
      this.#data = null;
      d.dispose();
    }
  }
}

/** A tensor's metadata as a backward formula sees it (the tensor itself may not be saved). */
export interface TensorInfo {
  /** Its shape. */
  readonly shape: Shape;
  /** Its dtype. */
  readonly dtype: DType;
  /** Its device. */
  readonly device: DeviceName;
}

export function infoOf(t: Tensor): TensorInfo {
  return { shape: t.shape, dtype: t.dtype, device: t.device };
}

/** What a backward formula sees. */
export interface BackwardContext<A = any> {
  /** The op's attrs as its forward received them. */
  readonly attrs: A;
  /** The node's name (`MulBackward0`). */
  readonly name: string;
  /** How many inputs the op had. */
  readonly numInputs: number;
  /** Saved input `i` (declared in the derivative's `save`); part of the graph when `createGraph`. */
  input(i: number): Tensor;
  /** Saved output `i` (declared in the derivative's `save`). */
  output(i: number): Tensor;
  /** Tensor `k` of a custom Function's `saveForBackward` list. */
  saved(k: number): Tensor;
  /** Shape, dtype and device of input `i` (always available, saved or not). */
  inputInfo(i: number): TensorInfo;
  /** Shape, dtype and device of output `i`. */
  outputInfo(i: number): TensorInfo;
  /** Whether input `i` needs a gradient (a formula may skip the others and return null). */
  needsInputGrad(i: number): boolean;
}

/** A node's backward: one gradient (or null) per input. */
export type BackwardFn = (ctx: BackwardContext, grads: readonly (Tensor | null)[]) => readonly (Tensor | null | undefined)[];

let sequence = 0;

/** One recorded call: the function that maps output gradients to input gradients. */
export class Node implements GradFn {
  /** Creation order (the engine's tie-breaker, as PyTorch's sequence number). */
  readonly seq = sequence++;
  /** Live tensors with this gradFn + live downstream edges. At 0 the node frees itself. */
  refs = 0;
  /** Saved tensors freed after a backward without retainGraph. */
  savedFreed = false;
  /** Released: nothing can reach it; saved freed and edges dropped. */
  released = false;
  savedInputs: (SavedTensor | undefined)[] = [];
  savedOutputs: (SavedTensor | undefined)[] = [];
  /** Tensors a custom Function saved with `ctx.saveForBackward`. */
  savedList: SavedTensor[] | null = null;
  /** Tensor hooks registered on outputs, per output. */
  hooks: GradHook[][] | null = null;
  /** Outputs that `retainGrad()` (weakly in spirit: a JS reference, no storage). */
  retained: (Tensor | undefined)[] | null = null;
  /** Where the forward was created (anomaly mode). */
  trace: string | null = null;

  constructor(
    readonly name: string,
    readonly apply: BackwardFn,
    readonly attrs: any,
    readonly next: readonly (Edge | null)[],
    readonly inputs: readonly TensorInfo[],
    readonly outputs: readonly TensorInfo[],
    /** Float outputs that carry gradients. */
    readonly differentiableOutputs: readonly boolean[],
  ) {
    for (const e of next) if (e && e.node instanceof Node) e.node.refs++;
  }

  /** `grad_fn.next_functions`: [function, outputNr] per input, null for inputs without grad. */
  get nextFunctions(): readonly [GradFn | null, number][] {
    return this.next.map((e) => (e ? [e.node, e.nr] : [null, 0]));
  }

  freeSaved(): void {
    for (const s of this.savedInputs) s?.free();
    for (const s of this.savedOutputs) s?.free();
    if (this.savedList) for (const s of this.savedList) s.free();
  }

  toString(): string {
    return `<${this.name}>`;
  }
}

/** Drops one reference to `node`; frees what becomes unreachable (iteratively, for deep graphs). */
export function unref(node: Node): void {
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.released) continue;
    if (--n.refs > 0) continue;
    n.released = true;
    n.freeSaved();
    n.savedFreed = true;
    for (const e of n.next) if (e && e.node instanceof Node) stack.push(e.node);
  }
}

/** Makes `t` an output `nr` of `node` (it then holds one reference on the node). */
export function setHistory(t: Tensor, node: Node, nr: number): void {
  t.gradFn = node;
  if (nr !== 0 || t.autogradMeta) metaOf(t).outputNr = nr;
  t.setRequiresGradUnchecked(true);
  node.refs++;
}
