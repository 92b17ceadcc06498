import type { Tensor } from '../core/tensor.js';

/**
 * How an op is built:
 * - `primitive`: calls a backend primitive (or fused kernel) and owns a derivative;
 * - `view`: shares its input's storage (metadata only) and owns a derivative;
 * - `composite`: written with other ops; autograd differentiates through its parts unless
 *   `ownDerivative` says a formula of its own is registered for speed or stability.
 */
export type OpKind = 'primitive' | 'view' | 'composite';

/** What an op's `forward` returns: one tensor, or several (`split`, `sort` …). */
export type OpOutput = Tensor | readonly Tensor[];

/** A registered op: what the interceptors see and autograd looks up by `name`. */
export interface OpDef<A = any> {
  /** Unique name; autograd's derivative table uses the same key. */
  readonly name: string;
  /** How the op is built (see `OpKind`). */
  readonly kind: OpKind;
  /**
   * false marks an op as non-differentiable (integer results, comparisons, indices):
   * its outputs never require grad. Ops that are differentiable must have an entry in
   * autograd's derivative table, unless they are composites without `ownDerivative`.
   */
  readonly differentiable: boolean;
  /** For composites: autograd records one node with the op's own formula instead of its parts. */
  readonly ownDerivative?: boolean;
  /** Mutates its first input (trailing-underscore ops). */
  readonly inplace?: boolean;
  /** Computes the outputs from the tensor inputs and the attributes. */
  readonly forward: (inputs: readonly Tensor[], attrs: A) => OpOutput;
}

interface RegistryState {
  ops: Map<string, OpDef>;
}

// One registry per realm, even if a bundle contains this package twice.
const KEY = Symbol.for('@torchlet/tensor/op-registry');
const g = globalThis as Record<symbol, unknown>;
const state: RegistryState = (g[KEY] as RegistryState | undefined) ?? { ops: new Map() };
g[KEY] = state;

/** Registers an op once; a second registration of the same name is a bug. */
export function registerOp<A>(def: OpDef<A>): OpDef<A> {
  if (state.ops.has(def.name)) throw new Error(`registerOp: '${def.name}' is already registered`);
  state.ops.set(def.name, def as OpDef);
  return def;
}

/** The registered op called `name`; throws for an unknown name. */
export function getOp(name: string): OpDef {
  const op = state.ops.get(name);
  if (!op) throw new Error(`Unknown op '${name}'`);
  return op;
}

/** Every registered op, for tests that enumerate the registry. */
export function listOps(): OpDef[] {
  return [...state.ops.values()];
}
