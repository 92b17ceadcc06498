import type { Tensor } from '../core/tensor.js';
import type { OpDef, OpOutput } from './registry.js';

/** One op call as interceptors see it. */
export interface OpCall {
  /** The registered op being called. */
  readonly op: OpDef;
  /** Its tensor inputs. */
  readonly inputs: readonly Tensor[];
  /** Its non-tensor attributes (dims, options …), as the op defines them. */
  readonly attrs: any;
}

/**
 * An interceptor wraps every op call: autograd records the graph, anomaly detection
 * checks outputs, the profiler times calls. `next()` runs the rest of the chain and,
 * at its end, the op itself.
 */
export interface Interceptor {
  /** Unique name; installing another interceptor with this name replaces it. */
  readonly name: string;
  /** Lower runs first (outermost). Autograd 100, anomaly 200, profiler 300. */
  readonly order: number;
  /** Wraps one op call: run `next()` to continue the chain (and the op), and return its result, possibly after recording or checking it. */
  intercept(call: OpCall, next: () => OpOutput): OpOutput;
}

interface ChainState {
  chain: Interceptor[];
}

const KEY = Symbol.for('@torchlet/tensor/interceptors');
const g = globalThis as Record<symbol, unknown>;
const state: ChainState = (g[KEY] as ChainState | undefined) ?? { chain: [] };
g[KEY] = state;

/** Installs an interceptor; returns a function that removes it. Installing the same name twice replaces it. */
export function addInterceptor(interceptor: Interceptor): () => void {
  state.chain = state.chain.filter((i) => i.name !== interceptor.name);
  state.chain.push(interceptor);
  state.chain.sort((a, b) => a.order - b.order);
  return () => {
    state.chain = state.chain.filter((i) => i !== interceptor);
  };
}

/** The installed interceptors, outermost first. */
export function interceptors(): readonly Interceptor[] {
  return state.chain;
}

function runChain(call: OpCall, chain: readonly Interceptor[], i: number): OpOutput {
  if (i === chain.length) return call.op.forward(call.inputs, call.attrs);
  return chain[i]!.intercept(call, () => runChain(call, chain, i + 1));
}

/** Runs a registered op through the interceptor chain. */
export function dispatch(op: OpDef, inputs: readonly Tensor[], attrs: any = {}): OpOutput {
  const chain = state.chain;
  if (chain.length === 0) return op.forward(inputs, attrs);
  return runChain({ op, inputs, attrs }, chain, 0);
}

/** `dispatch` for single-output ops. */
export function call1(op: OpDef, inputs: readonly Tensor[], attrs: any = {}): Tensor {
  return dispatch(op, inputs, attrs) as Tensor;
}
