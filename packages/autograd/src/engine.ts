/**
 * The backward engine: one topological pass over the recorded graph from the roots,
 * gradients summed per node output, reduced to each input's shape and dtype in one place,
 * accumulated into leaf `.grad` (or captured for `grad()`), graph freed unless retainGraph.
 */
import {
  RuntimeError,
  alias,
  cast,
  clone,
  expand,
  keep,
  numelOf,
  onesLike,
  reshape,
  shapesEqual,
  sum,
  tidy,
  viewOf,
  zeros,
  type Shape,
  type Tensor,
} from '@torchlet/tensor';
import { AccumulateGrad, Node, edgeOf, metaOf, setHistory, type BackwardContext, type Edge, type GraphNode, type GradHook, type TensorInfo } from './graph.js';
import { noteBackward } from './growth-watch.js';
import { isAnomalyEnabled, withRecording } from './mode.js';
import { RowSparseTensor, addGradients } from './sparse.js';

/** Options of `t.backward()` / `autograd.backward` (`retain_graph`, `create_graph`). */
export interface BackwardOptions {
  /** Keep the saved tensors so the graph can be differentiated again (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward itself, for higher-order derivatives. */
  createGraph?: boolean;
}

/** Options of `autograd.grad` (`grad_outputs`, `retain_graph`, `create_graph`, `allow_unused`). */
export interface GradOptions extends BackwardOptions {
  /** The gradient of each output (`grad_outputs`); may be omitted for scalar outputs. */
  gradOutputs?: Tensor | readonly (Tensor | null | undefined)[] | null;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/** Sums a (broadcast) gradient back to `shape`. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) return expand(g, shape);
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = dims.length > 0 ? sum(g, { dim: dims, keepdim: true }) : g;
  if (numelOf(s.shape) !== numelOf(shape)) return expand(reshape(s, s.shape.slice(lead)), shape);
  return reshape(s, shape);
}

/** A tensor with its own, unshared, contiguous storage holding `g` (consumes `g`). */
function ownedGrad(g: Tensor): Tensor {
  if (g instanceof RowSparseTensor) return g;
  const s = g.storage;
  if (g.isContiguous() && g.offset === 0 && s.refCount === 1 && s.buffer.size === g.numel()) return g;
  const c = clone(g);
  g.dispose();
  return c;
}

function runHooks(hooks: readonly GradHook[] | undefined, g: Tensor): Tensor {
  if (!hooks) return g;
  for (const hook of [...hooks]) {
    const r = tidy(() => hook(g));
    if (r && r !== g) {
      g.dispose();
      g = r;
    }
  }
  return g;
}

/** Adds `g` into a tensor's `.grad` (out of place; the old `.grad` is disposed). Consumes `g`. */
function accumulateInto(t: Tensor, g: Tensor): void {
  if (t.isDisposed) {
    g.dispose();
    return;
  }
  const old = t.grad;
  if (!old) {
    t.grad = keep(ownedGrad(g));
    return;
  }
  const s = addGradients(old, g);
  g.dispose();
  t.grad = keep(ownedGrad(s));
  old.dispose();
}

function hasNonFinite(g: Tensor): 'nan' | 'inf' | null {
  if (!g.backend.canReadSync) return null;
  const d = g.dataSync();
  let inf = false;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v !== v) return 'nan';
    if (v === Infinity || v === -Infinity) inf = true;
  }
  return inf ? 'inf' : null;
}

class Context implements BackwardContext {
  readonly #node: Node;
  readonly #graph: boolean;
  readonly #needs: readonly boolean[];
  readonly #cache = new Map<string, Tensor>();

  constructor(node: Node, graph: boolean, needs: readonly boolean[]) {
    this.#node = node;
    this.#graph = graph;
    this.#needs = needs;
  }

  get attrs(): any {
    return this.#node.attrs;
  }

  get name(): string {
    return this.#node.name;
  }

  get numInputs(): number {
    return this.#node.inputs.length;
  }

  input(i: number): Tensor {
    return this.#unpack('i' + i, this.#node.savedInputs[i], `input ${i}`);
  }

  output(i: number): Tensor {
    return this.#unpack('o' + i, this.#node.savedOutputs[i], `output ${i}`);
  }

  saved(k: number): Tensor {
    return this.#unpack('s' + k, this.#node.savedList?.[k], `saved tensor ${k}`);
  }

  inputInfo(i: number): TensorInfo {
    return this.#node.inputs[i]!;
  }

  outputInfo(i: number): TensorInfo {
    return this.#node.outputs[i]!;
  }

  needsInputGrad(i: number): boolean {
    return this.#needs[i] ?? false;
  }

  #unpack(key: string, saved: Node['savedInputs'][number], what: string): Tensor {
    const hit = this.#cache.get(key);
    if (hit) return hit;
    if (!saved) throw new Error(`${this.#node.name}: ${what} was not saved for backward (a derivative-table bug)`);
    const data = saved.data();
    let t = data;
    if (this.#graph && saved.edge) {
      // Double backward: the saved value re-enters the graph where it came from.
      t = viewOf(data, data.shape, data.strides, data.offset);
      const e = saved.edge;
      if (e.node instanceof Node) setHistory(t, e.node, e.nr);
      else {
        metaOf(t).accumulator = e.node as AccumulateGrad;
        t.setRequiresGradUnchecked(true);
      }
    }
    this.#cache.set(key, t);
    return t;
  }
}

interface Capture {
  readonly nr: number;
  readonly index: number;
}

/**
 * Runs the backward pass from `roots` seeded with `rootGrads`. With `inputs`, returns their
 * gradients instead of accumulating into `.grad` (`autograd.grad`).
 */
export function runBackward(
  roots: readonly Tensor[],
  rootGrads: readonly (Tensor | null | undefined)[],
  options: BackwardOptions & { allowUnused?: boolean },
  inputs: readonly Tensor[] | null,
): (Tensor | null)[] | null {
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const result = withRecording(createGraph, () => execute(roots, rootGrads, createGraph, retainGraph, inputs, options.allowUnused ?? false));
  noteBackward();
  return result;
}

function execute(
  roots: readonly Tensor[],
  rootGrads: readonly (Tensor | null | undefined)[],
  createGraph: boolean,
  retainGraph: boolean,
  inputs: readonly Tensor[] | null,
  allowUnused: boolean,
): (Tensor | null)[] | null {
  if (roots.length !== rootGrads.length) {
    throw new RuntimeError(`grad: got ${rootGrads.length} gradients for ${roots.length} outputs`);
  }
  const rootEdges: Edge[] = roots.map((r, i) => {
    const e = edgeOf(r);
    if (!e) throw new RuntimeError(`element ${i} of tensors does not require grad and does not have a grad_fn`);
    return e;
  });

  // ---- what to capture (grad()) or accumulate (backward()) ----
  let captures: Map<GraphNode, Capture[]> | null = null;
  if (inputs) {
    captures = new Map();
    inputs.forEach((t, index) => {
      const e = edgeOf(t);
      if (!e) throw new RuntimeError('One of the differentiated Tensors does not require grad');
      const list = captures!.get(e.node) ?? [];
      list.push({ nr: e.nr, index });
      captures!.set(e.node, list);
    });
  }
  const isTarget = (n: GraphNode): boolean => (captures ? captures.has(n) : n instanceof AccumulateGrad);

  // ---- one DFS: post-order, then the nodes that lead to a target ----
  const order: GraphNode[] = [];
  const seen = new Set<GraphNode>();
  const stack: { node: GraphNode; i: number }[] = [];
  for (const re of rootEdges) {
    if (seen.has(re.node)) continue;
    seen.add(re.node);
    stack.push({ node: re.node, i: 0 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const kids = top.node instanceof Node ? top.node.next : [];
      if (top.i < kids.length) {
        const e = kids[top.i++];
        if (e && !seen.has(e.node)) {
          seen.add(e.node);
          stack.push({ node: e.node, i: 0 });
        }
      } else {
        stack.pop();
        order.push(top.node);
      }
    }
  }
  const leadsToTarget = new Set<GraphNode>();
  const mustRun = new Set<Node>();
  for (const n of order) {
    if (n instanceof Node && n.next.some((e) => e !== null && leadsToTarget.has(e.node))) {
      mustRun.add(n);
      leadsToTarget.add(n);
    }
    if (isTarget(n)) leadsToTarget.add(n);
  }

  const buffers = new Map<GraphNode, (Tensor | null)[]>();
  const results: (Tensor | null)[] | null = inputs ? inputs.map(() => null) : null;

  const deliver = (e: Edge, g: Tensor): void => {
    let buf = buffers.get(e.node);
    if (!buf) {
      buf = new Array<Tensor | null>(e.node instanceof Node ? e.node.outputs.length : 1).fill(null);
      buffers.set(e.node, buf);
    }
    const prev = buf[e.nr];
    if (!prev) buf[e.nr] = g;
    else {
      buf[e.nr] = addGradients(prev, g);
      prev.dispose();
      g.dispose();
    }
  };

  const capture = (n: GraphNode, nr: number, g: Tensor): void => {
    for (const c of captures?.get(n) ?? []) {
      if (c.nr !== nr) continue;
      const own = g instanceof RowSparseTensor ? g.clone() : alias(g);
      const prev = results![c.index];
      if (!prev) results![c.index] = own;
      else {
        results![c.index] = addGradients(prev, own);
        prev.dispose();
        own.dispose();
      }
    }
  };

  try {
    // ---- seed the roots ----
    roots.forEach((r, i) => {
      const g = rootGrads[i];
      let own: Tensor;
      if (!g) {
        if (r.numel() !== 1) throw new RuntimeError('grad can be implicitly created only for scalar outputs');
        own = onesLike(r);
      } else {
        if (!shapesEqual(g.shape, r.shape)) {
          throw new RuntimeError(
            `Mismatch in shape: grad_output[${i}] has a shape of [${g.shape.join(', ')}] and output[${i}] has a shape of [${r.shape.join(', ')}].`,
          );
        }
        own = g.requiresGrad && createGraph ? alias(g) : viewOf(g, g.shape, g.strides, g.offset);
        if (own.dtype !== r.dtype) {
          const c = cast(own, r.dtype);
          own.dispose();
          own = c;
        }
      }
      deliver(rootEdges[i]!, own);
    });

    // ---- one pass in topological order (reverse post-order) ----
    for (let k = order.length - 1; k >= 0; k--) {
      const n = order[k]!;
      const buf = buffers.get(n);
      if (!buf) continue;
      buffers.delete(n);
      try {
        if (n instanceof AccumulateGrad) {
          let g = buf[0];
          if (!g) continue;
          g = buf[0] = runHooks(n.hooks, g);
          if (captures) capture(n, 0, g);
          else {
            buf[0] = null;
            accumulateInto(n.variable, g);
          }
          continue;
        }
        runNode(n, buf, createGraph, retainGraph, mustRun, leadsToTarget, captures ? capture : null, deliver);
      } finally {
        for (const t of buf) t?.dispose();
      }
    }
  } catch (err) {
    for (const t of results ?? []) t?.dispose();
    throw err;
  } finally {
    for (const buf of buffers.values()) for (const t of buf) t?.dispose();
  }

  if (!results) return null;
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (r) results[i] = ownedGrad(r);
    else if (!allowUnused) {
      for (const t of results) t?.dispose();
      throw new RuntimeError(
        'One of the differentiated Tensors appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.',
      );
    }
  }
  return results;
}

function runNode(
  n: Node,
  buf: (Tensor | null)[],
  createGraph: boolean,
  retainGraph: boolean,
  mustRun: ReadonlySet<Node>,
  leadsToTarget: ReadonlySet<GraphNode>,
  capture: ((n: GraphNode, nr: number, g: Tensor) => void) | null,
  deliver: (e: Edge, g: Tensor) => void,
): void {
  // Tensor hooks and retained gradients of this node's outputs.
  for (let nr = 0; nr < buf.length; nr++) {
    let g = buf[nr];
    if (!g) continue;
    const hooks = n.hooks?.[nr];
    if (hooks) g = buf[nr] = runHooks(hooks, g);
    const kept = n.retained?.[nr];
    if (kept && !kept.isDisposed && kept.gradFn === n) accumulateInto(kept, g instanceof RowSparseTensor ? g.clone() : alias(g));
    capture?.(n, nr, g);
  }
  if (!mustRun.has(n)) return;

  const needs = n.next.map((e) => e !== null && leadsToTarget.has(e.node));
  const ctx = new Context(n, createGraph, needs);
  const grads = tidy(() => {
    const gradOutputs = buf.map((g, nr) => {
      // Only leaves take row-sparse gradients; an op's backward gets the dense value.
      if (g instanceof RowSparseTensor) return g.toDense();
      if (g || !n.differentiableOutputs[nr]) return g;
      const o = n.outputs[nr]!;
      return zeros(o.shape, { dtype: o.dtype, device: o.device });
    });
    const raw = n.apply(ctx, gradOutputs);
    const out: (Tensor | null)[] = [];
    for (let i = 0; i < n.next.length; i++) {
      let g = raw[i] ?? null;
      if (!g || !needs[i]) {
        out.push(null);
        continue;
      }
      const info = n.inputs[i]!;
      g = sumToShape(g, info.shape);
      if (g.dtype !== info.dtype) g = cast(g, info.dtype);
      // Each delivered gradient is a tensor object of its own (formulas may return one twice).
      if (buf.includes(g) || out.includes(g)) g = alias(g);
      out.push(g);
    }
    return out;
  });
  if (!retainGraph) {
    n.freeSaved();
    n.savedFreed = true;
  }
  let delivered = 0;
  try {
    if (isAnomalyEnabled()) {
      grads.forEach((g, i) => {
        const bad = g ? hasNonFinite(g) : null;
        if (bad) {
          const where = n.trace ? `\nThe forward call that created it:\n${n.trace}` : '';
          throw new RuntimeError(`Function '${n.name}' returned ${bad} values in its ${i}th output.${where}`);
        }
      });
    }
    for (; delivered < grads.length; delivered++) {
      const g = grads[delivered];
      if (g) deliver(n.next[delivered]!, g);
    }
  } catch (err) {
    for (let i = delivered; i < grads.length; i++) grads[i]?.dispose();
    throw err;
  }
}

/** `tensor.backward(gradient, { retainGraph, createGraph })` / `torch.autograd.backward`. */
export function backward(
  tensors: Tensor | readonly Tensor[],
  gradTensors?: Tensor | readonly (Tensor | null | undefined)[] | null,
  options: BackwardOptions = {},
): void {
  const roots = Array.isArray(tensors) ? (tensors as readonly Tensor[]) : [tensors as Tensor];
  const grads = gradTensors == null ? roots.map(() => null) : Array.isArray(gradTensors) ? gradTensors : [gradTensors as Tensor];
  runBackward(roots, grads, options, null);
}

/**
 * `torch.autograd.grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused)`:
 * the gradients of `outputs` with respect to `inputs`, returned (new tensors the caller owns)
 * instead of accumulated into `.grad`.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor];
  const ins = Array.isArray(inputs) ? (inputs as readonly Tensor[]) : [inputs as Tensor];
  const go = options.gradOutputs;
  const grads = go == null ? outs.map(() => null) : Array.isArray(go) ? go : [go as Tensor];
  return runBackward(outs, grads, options, ins)!;
}
