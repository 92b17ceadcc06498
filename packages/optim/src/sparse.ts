/**
 * Row-sparse gradients: `Embedding`/`EmbeddingBag` with `sparse: true` leave a
 * `RowSparseTensor` in `weight.grad` (PyTorch's sparse COO gradient restricted to whole rows;
 * defined in @torchlet/autograd): `indices` (int32, 1-D, possibly repeated) name the rows of
 * the parameter that received gradient, `values` holds them (`[nnz, ...param.shape.slice(1)]`).
 * SGD (momentum 0), Adagrad and SparseAdam route such a gradient to an update that touches
 * only those rows. `RowSparseGrad` is the structural type they read (the class implements it).
 */
export { RowSparseTensor, isRowSparse } from '@torchlet/autograd';
export type { RowSparseGrad } from '@torchlet/autograd';
