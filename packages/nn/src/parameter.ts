/**
 * `nn.Parameter`: a tensor marked as a module parameter (PyTorch's `torch.nn.Parameter`).
 *
 * A parameter is an ordinary `Tensor` with a mark (kept in a realm-wide WeakSet), so every
 * tensor op and method works on it unchanged. `new Parameter(t)` marks `t` itself and makes
 * it require grad — the returned object *is* `t` (PyTorch's parameter shares `t`'s storage;
 * here it shares the object, so no extra storage reference is taken and nothing leaks).
 * A tensor with autograd history is detached first (a parameter is always a leaf).
 * `x instanceof Parameter` tells marked tensors apart.
 */
import { Tensor, detach } from '@torchlet/tensor';

const KEY = Symbol.for('@torchlet/nn/parameters');
const g = globalThis as Record<symbol, unknown>;
const marked: WeakSet<Tensor> = (g[KEY] as WeakSet<Tensor> | undefined) ?? new WeakSet<Tensor>();
g[KEY] = marked;

/** A module parameter: a `Tensor` that `Module` registers, saves and optimizes. */
export type Parameter = Tensor;

/** The `Parameter` value: callable with or without `new`, and usable with `instanceof`. */
export interface ParameterConstructor {
  /** `nn.Parameter(data, requires_grad=True)`: marks `data` (detached if it has history) and returns it. */
  new (data: Tensor, requiresGrad?: boolean): Parameter;
  /** `nn.Parameter(data, requires_grad=True)` without `new`. */
  (data: Tensor, requiresGrad?: boolean): Parameter;
  /** `x instanceof Parameter`: whether `x` is a tensor marked as a parameter. */
  [Symbol.hasInstance](value: unknown): boolean;
}

function makeParameter(data: Tensor, requiresGrad = true): Parameter {
  if (!(data instanceof Tensor)) throw new TypeError(`Parameter: expected a Tensor, got ${data === null ? 'null' : typeof data}`);
  const t = data.gradFn ? detach(data) : data;
  t.requiresGrad = requiresGrad;
  marked.add(t);
  return t;
}

/** `nn.Parameter(t)`; callable with or without `new`. */
export const Parameter = function Parameter(data: Tensor, requiresGrad = true): Parameter {
  return makeParameter(data, requiresGrad);
} as unknown as ParameterConstructor;

Object.defineProperty(Parameter, Symbol.hasInstance, {
  value: (value: unknown): boolean => value instanceof Tensor && marked.has(value),
});

/** Whether `value` is a tensor marked as a parameter. */
export function isParameter(value: unknown): boolean {
  return value instanceof Tensor && marked.has(value);
}

/** Marks an existing tensor (used when a module replaces a parameter, e.g. in `to()`). */
export function markParameter(t: Tensor): Parameter {
  marked.add(t);
  return t;
}
