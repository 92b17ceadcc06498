/**
 * Row-sparse gradients: the shape of `.grad` that `Embedding`/`EmbeddingBag` with `sparse: true`
 * will produce (PyTorch's sparse COO gradient restricted to whole rows): `indices` (int32, 1-D,
 * possibly repeated) name the rows of the parameter that received gradient, `values` holds
 * them (`[nnz, ...param.shape.slice(1)]`). SGD and Adagrad route such a gradient to a sparse
 * update that touches only those rows; SparseAdam will too.
 *
 * Autograd does not produce row-sparse gradients yet, so `isRowSparse` recognises the marker
 * below and nothing creates it: every gradient today takes the dense path.
 */
import type { Tensor } from '@torchlet/tensor';

/** A row-sparse gradient (`layout: 'rowSparse'`). */
export interface RowSparseGrad {
  readonly layout: 'rowSparse';
  /** Row indices into the parameter's first dimension (int32, 1-D; may repeat). */
  readonly indices: Tensor;
  /** The gradient rows: `[indices.numel(), ...param.shape.slice(1)]`. */
  readonly values: Tensor;
  /** The dense shape (the parameter's shape). */
  readonly shape: readonly number[];
}

/** True when `grad` is a row-sparse gradient (none exist until autograd produces them). */
export function isRowSparse(grad: unknown): grad is RowSparseGrad {
  return typeof grad === 'object' && grad !== null && (grad as { layout?: unknown }).layout === 'rowSparse';
}
