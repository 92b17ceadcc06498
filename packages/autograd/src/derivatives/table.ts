/**
 * The derivative table: one entry per registered op name (compare PyTorch's
 * derivatives.yaml). Each backward is written with public tensor ops, so it runs on every
 * backend and is itself recorded when `createGraph` is set (double backward).
 *
 * Conventions: a backward returns one gradient per input (null where there is none). The
 * engine reduces each gradient to its input's shape (undoing broadcasting) and casts it to
 * the input's dtype, so formulas may return broadcast-shaped or promoted gradients.
 * Temporaries a formula creates are disposed by the engine (the call runs in a `tidy`).
 */
import type { Tensor } from '@torchlet/tensor';
import type { BackwardContext } from '../graph.js';

/** Which inputs and outputs the backward needs saved (each costs a storage reference). */
export interface SaveSpec {
  /** Indices of the inputs to save. */
  readonly inputs?: readonly number[];
  /** Indices of the outputs to save. */
  readonly outputs?: readonly number[];
}

/** One entry of the derivative table: what to save in the forward and how to compute the input gradients. */
export interface Derivative<A = any> {
  /** The node's name when not `<OpName>Backward0`. */
  readonly name?: string;
  /** Static, or chosen from which inputs need a gradient. */
  readonly save?: SaveSpec | ((needs: readonly boolean[], attrs: A) => SaveSpec);
  /** Computes one gradient per input (null or undefined where there is none) from the outputs' gradients `grads` (null for outputs that got none). */
  readonly backward: (ctx: BackwardContext<A>, grads: readonly (Tensor | null)[]) => readonly (Tensor | null | undefined)[];
  /**
   * Which outputs can carry a gradient (default: every floating one). An output marked false
   * (e.g. a workspace saved for the backward) gets `null` in `grads`, never a tensor of zeros.
   */
  readonly differentiableOutputs?: readonly boolean[];
}

interface TableState {
  table: Map<string, Derivative>;
}

const KEY = Symbol.for('@torchlet/autograd/derivatives');
const g = globalThis as Record<symbol, unknown>;
const state: TableState = (g[KEY] as TableState | undefined) ?? { table: new Map() };
g[KEY] = state;

/** Adds entries keyed by registered op name (the nn and optim packages add their fused ops here). */
export function defineDerivatives(entries: Record<string, Derivative>): void {
  for (const [name, d] of Object.entries(entries)) state.table.set(name, d);
}

/** The derivative registered for op `name`, if any. */
export function getDerivative(name: string): Derivative | undefined {
  return state.table.get(name);
}

/** The op names with a derivative. */
export function derivativeNames(): string[] {
  return [...state.table.keys()];
}

/** `mul` → `MulBackward0`, `indexSelect` → `IndexSelectBackward0`, `copy_` → `CopyBackwards`. */
export function backwardName(op: string): string {
  const base = op.endsWith('_') ? op.slice(0, -1) : op;
  return base.charAt(0).toUpperCase() + base.slice(1) + 'Backward0';
}
