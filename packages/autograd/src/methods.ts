/**
 * The tensor surface autograd implements behind the core's bridge: `retainGrad()`,
 * `retainsGrad`, `registerHook(fn)` and the release hook that frees unreachable graphs.
 */
import { RuntimeError, type GradHook, type RemovableHandle, type Tensor } from '@torchlet/tensor';
import { Node, accumulatorOf, metaOf, peekMeta, unref } from './graph.js';

function handle(remove: () => void): RemovableHandle {
  const h = (() => remove()) as RemovableHandle;
  h.remove = remove;
  return h;
}

export function retainGrad(t: Tensor): void {
  if (!t.requiresGrad) throw new RuntimeError("can't retain_grad on Tensor that has requires_grad=False");
  if (t.isLeaf) return;
  const node = t.gradFn as Node;
  const nr = peekMeta(t)?.outputNr ?? 0;
  node.retained ??= [];
  node.retained[nr] = t;
  metaOf(t).retainsGrad = true;
}

export function retainsGrad(t: Tensor): boolean {
  if (t.isLeaf || !peekMeta(t)?.retainsGrad) return false;
  return (t.gradFn as Node).retained?.includes(t) === true;
}

export function registerHook(t: Tensor, hook: GradHook): RemovableHandle {
  if (!t.requiresGrad) throw new RuntimeError("cannot register a hook on a tensor that doesn't require gradient");
  let list: GradHook[];
  if (t.isLeaf) list = accumulatorOf(t).hooks;
  else {
    const node = t.gradFn as Node;
    const nr = peekMeta(t)?.outputNr ?? 0;
    node.hooks ??= [];
    list = node.hooks[nr] ??= [];
  }
  list.push(hook);
  return handle(() => {
    const i = list.indexOf(hook);
    if (i >= 0) list.splice(i, 1);
  });
}

/** `dispose()` of a tensor with a gradFn: its node loses a reference (and may free itself). */
export function release(t: Tensor): void {
  const node = t.gradFn;
  if (node instanceof Node) {
    const retained = node.retained;
    if (retained) {
      const i = retained.indexOf(t);
      if (i >= 0) retained[i] = undefined;
    }
    unref(node);
  }
}
