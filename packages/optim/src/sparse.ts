/**
 * Row-sparse gradients: `Embedding`/`EmbeddingBag` with `sparse: true` leave a
 * `RowSparseTensor` in `weight.grad` (PyTorch's sparse COO gradient restricted to whole rows;
 * defined in @torchlet/autograd): `indices` (int32, 1-D, possibly repeated) name the rows of
 * the parameter that received gradient, `values` holds them (`[nnz, ...param.shape.slice(1)]`).
 * SGD (momentum 0), Adagrad and SparseAdam route such a gradient to an update that touches
 * only those rows. `RowSparseGrad` is the structural type they read (the class implements it).
 */
import { DTypeError, ShapeError, call1, checkWritable, fmtShape, mul, registerOp, type Tensor } from '@torchlet/tensor';

export { RowSparseTensor, isRowSparse } from '@torchlet/autograd';
export type { RowSparseGrad } from '@torchlet/autograd';


/**
 * `addRows_`: `dst[indices[i]] += alpha · values[i]` along dim 0, truly in place (one backend
 * fused `addRows` kernel where the backend has one, else `mul` + the `indexAdd` primitive, into `dst`'s memory; the tensor library's `indexAdd_` computes out of place and
 * copies the whole tensor back, which for a 2M-row embedding costs more than the update).
 * Not differentiable: for optimizer updates under `noGrad`. Bumps the storage version.
 */
export const addRowsDef = registerOp<{
  /** The scale of the added rows. */
  alpha: number;
}>({
  name: 'addRows_',
  kind: 'primitive',
  differentiable: false,
  inplace: true,
  forward: (inputs, { alpha }) => {
    const [dst, indices, values] = inputs as [Tensor, Tensor, Tensor];
    checkWritable(dst, 'addRows_');
    if (indices.dtype !== 'int32' || indices.ndim !== 1) throw new DTypeError(`addRows_: indices must be a 1-D int32 tensor (got ${indices.dtype} ${fmtShape(indices.shape)})`);
    if (values.dtype !== dst.dtype) throw new DTypeError(`addRows_: values (${values.dtype}) and self (${dst.dtype}) must have the same dtype`);
    if (values.ndim !== dst.ndim || values.shape[0] !== indices.shape[0] || values.shape.some((n, i) => i > 0 && n !== dst.shape[i])) {
      throw new ShapeError(`addRows_: values of shape ${fmtShape(values.shape)} do not fit ${indices.shape[0]} rows of ${fmtShape(dst.shape)}`);
    }
    const fused = dst.backend.fused.addRows;
    if (fused && dst.ndim === 2 && indices.isContiguous()) {
      if (indices.shape[0]! > 0) dst.backend.fused.addRows!(dst.kernelView, indices.kernelView, values.kernelView, alpha);
      dst.storage.version++;
      return dst;
    }
    const src = alpha === 1 ? values : mul(values, alpha);
    try {
      if (indices.shape[0]! > 0) dst.backend.indexAdd(dst.kernelView, 0, indices.kernelView, src.kernelView);
    } finally {
      if (src !== values) src.dispose();
    }
    dst.storage.version++;
    return dst;
  },
});

/** `dst[indices[i]] += alpha · values[i]` in place (see `addRowsDef`); returns `dst`. */
export function addRows_(dst: Tensor, indices: Tensor, values: Tensor, alpha = 1): Tensor {
  return call1(addRowsDef, [dst, indices, values], { alpha });
}
