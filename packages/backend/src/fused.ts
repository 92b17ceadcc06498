import type { TensorView } from './backend.js';

/**
 * Optional fused kernels a backend may declare. The op library checks
 * `backend.fused.<name>` and composes primitives when it is absent; tests prove both
 * paths agree. Later layers (nn, optim) add their kernels here by declaration merging:
 *
 * ```ts
 * declare module '@torchlet/backend' { interface FusedKernels { gruCell(...): void } }
 * ```
 */
export interface FusedKernels {
  /** Softmax along `axis` of `x` into contiguous `out` (max-subtracted, as PyTorch). */
  softmax(x: TensorView, axis: number, out: TensorView): void;
  /** Log-softmax along `axis` of `x` into contiguous `out`. */
  logSoftmax(x: TensorView, axis: number, out: TensorView): void;
}

export type FusedKernelName = keyof FusedKernels;
