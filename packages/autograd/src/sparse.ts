/**
 * Row-sparse gradients (PyTorch's sparse COO gradient of `Embedding`/`EmbeddingBag` with
 * `sparse=True`, restricted to whole rows): `indices` (int32, 1-D, may repeat) name rows of a
 * parameter and `values` (`[nnz, ...shape.slice(1)]`) hold them; the dense gradient is
 * `zeros(shape).index_add_(0, indices, values)`.
 *
 * `RowSparseTensor` is a `Tensor` subclass, so `param.grad` keeps its type (`Tensor | null`) and
 * user code only looks at `grad.isSparse` when it cares:
 *
 * ```ts
 * const emb = new nn.EmbeddingBag(1000, 64, { sparse: true });
 * emb.call(x, offsets).sum().backward();
 * emb.weight.grad!.isSparse;          // true (torch: weight.grad.is_sparse)
 * emb.weight.grad!.toDense();         // torch: weight.grad.to_dense()
 * new optim.SGD(emb.parameters(), { lr: 0.1 }).step(); // touches only the listed rows
 * ```
 *
 * It supports `toDense`, `coalesce`, `clone`, `zero_`, `mul_`, `data`/`dataSync` (dense
 * values) and `dispose`; any other op refuses it with a message that says to call `toDense()`.
 * Autograd accumulates it: sparse + sparse concatenates the rows, sparse + dense densifies
 * with one `indexAdd`; a sparse gradient that reaches a non-leaf is densified first.
 */
import type { Backend, DeviceName, TensorView } from '@torchlet/backend';
import { contiguousStrides } from '@torchlet/backend';
import {
  RuntimeError,
  ShapeError,
  DTypeError,
  Tensor,
  add,
  alias,
  cat,
  clone,
  fmtShape,
  indexAdd,
  keep,
  unique,
  zeros,
  type HostArray,
  type Operand,
  type Shape,
} from '@torchlet/tensor';

/** The structural shape of a row-sparse gradient (what optimizers read). */
export interface RowSparseGrad {
  /** Marks the row-sparse layout (`'rowSparse'`). */
  readonly layout: 'rowSparse';
  /** Row indices into the parameter's first dimension (int32, 1-D; may repeat). */
  readonly indices: Tensor;
  /** The gradient rows: `[indices.numel(), ...shape.slice(1)]`. */
  readonly values: Tensor;
  /** The dense shape (the parameter's shape). */
  readonly shape: readonly number[];
}

/** `'strided'` for dense tensors, `'rowSparse'` for `RowSparseTensor` (torch: `tensor.layout`). */
export type Layout = 'strided' | 'rowSparse';

function refuse(shape: Shape): never {
  throw new RuntimeError(
    `row-sparse tensor of shape ${fmtShape(shape)}: this op needs a dense tensor; call .toDense() first ` +
      '(row-sparse tensors support toDense, coalesce, clone, zero_, mul_, data and dispose)',
  );
}

/**
 * A row-sparse tensor: `shape` is the dense shape; `indices`/`values` hold the rows. Owns
 * `indices` and `values` (they are disposed with it, and leave any enclosing `tidy` scope).
 */
export class RowSparseTensor extends Tensor implements RowSparseGrad {
  /** Row indices (int32, 1-D; may repeat unless `isCoalesced`). */
  readonly indices: Tensor;
  /** `[nnz, ...shape.slice(1)]`. */
  readonly values: Tensor;
  /** Whether `indices` are known to be sorted and unique (`coalesce()` output). */
  readonly isCoalesced: boolean;

  constructor(indices: Tensor, values: Tensor, shape: Shape, options: { isCoalesced?: boolean } = {}) {
    if (indices.dtype !== 'int32') throw new DTypeError(`RowSparseTensor: indices must be int32 (got ${indices.dtype})`);
    if (indices.ndim !== 1) throw new ShapeError(`RowSparseTensor: indices must be 1-D (got shape ${fmtShape(indices.shape)})`);
    if (
      shape.length < 1 ||
      values.ndim !== shape.length ||
      values.shape[0] !== indices.shape[0] ||
      values.shape.some((n, i) => i > 0 && n !== shape[i])
    ) {
      throw new ShapeError(
        `RowSparseTensor: values of shape ${fmtShape(values.shape)} do not fit ${indices.shape[0]} rows of a ${fmtShape(shape)} tensor`,
      );
    }
    super(values.storage.retain(), shape, contiguousStrides(shape), 0, values.dtype);
    this.indices = keep(indices);
    this.values = keep(values);
    this.isCoalesced = options.isCoalesced ?? false;
  }

  override get isSparse(): boolean {
    return true;
  }

  override get layout(): 'rowSparse' {
    return 'rowSparse';
  }

  /** Number of stored rows (with repeats), torch's `_nnz()` in rows. */
  get nnz(): number {
    return this.indices.shape[0]!;
  }

  /** Refused: a row-sparse gradient has no dense storage (use `values`, `indices` or `toDense()`). */
  override get storage(): never {
    return refuse(this.shape);
  }

  override get kernelView(): TensorView {
    return refuse(this.shape);
  }

  /** The device of `values`. */
  override get device(): DeviceName {
    return this.values.device;
  }

  /** The backend of `values`. */
  override get backend(): Backend {
    return this.values.backend;
  }

  override get version(): number {
    return this.values.version;
  }

  /** Always false: there is no dense layout. */
  override isContiguous(): boolean {
    return false;
  }

  /** The dense tensor (`torch.Tensor.to_dense`): one `indexAdd` into zeros. */
  toDense(): Tensor {
    const z = zeros(this.shape, { dtype: this.dtype, device: this.device });
    try {
      return indexAdd(z, 0, this.indices, this.values);
    } finally {
      z.dispose();
    }
  }

  /** Sums rows that share an index; indices come out sorted and unique (`torch.Tensor.coalesce`). */
  coalesce(): RowSparseTensor {
    if (this.isCoalesced) return this.clone();
    const { values: idx, inverse } = unique(this.indices, { sorted: true, returnInverse: true }) as { values: Tensor; inverse: Tensor };
    try {
      const z = zeros([idx.numel(), ...this.shape.slice(1)], { dtype: this.dtype, device: this.device });
      z.indexAdd_(0, inverse, this.values);
      return new RowSparseTensor(idx, z, this.shape, { isCoalesced: true });
    } finally {
      inverse.dispose();
    }
  }

  /** A copy with its own `indices` and `values`. */
  override clone(): this {
    return new RowSparseTensor(clone(this.indices), clone(this.values), this.shape, { isCoalesced: this.isCoalesced }) as this;
  }

  /** Zeroes the stored rows in place (the dense value becomes zero). */
  override zero_(): this {
    this.values.zero_();
    return this;
  }

  /** Scales the stored rows in place by a number or a one-element tensor. */
  override mul_(other: Operand): this {
    if (other instanceof Tensor && other.numel() !== 1) {
      throw new RuntimeError(`row-sparse tensor: mul_ takes a number or a one-element tensor (got shape ${fmtShape(other.shape)})`);
    }
    this.values.mul_(other);
    return this;
  }

  override async data(): Promise<HostArray> {
    const d = this.toDense();
    try {
      return await d.data();
    } finally {
      d.dispose();
    }
  }

  override dataSync(): HostArray {
    const d = this.toDense();
    try {
      return d.dataSync();
    } finally {
      d.dispose();
    }
  }

  override toString(): string {
    return `RowSparseTensor(shape=${fmtShape(this.shape)}, nnz=${this.nnz}, dtype=${this.dtype}, device=${this.device})`;
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.indices.dispose();
    this.values.dispose();
  }
}


/** True when `grad` is a row-sparse gradient (a `RowSparseTensor` or any `{ layout: 'rowSparse' }`). */
export function isRowSparse(grad: unknown): grad is RowSparseGrad {
  return typeof grad === 'object' && grad !== null && (grad as { layout?: unknown }).layout === 'rowSparse';
}

/** The dense value of a gradient (a new tensor for a sparse one, an alias otherwise). */
export function denseGrad(g: Tensor): Tensor {
  return g instanceof RowSparseTensor ? g.toDense() : alias(g);
}

/**
 * `a + b` for gradients where either may be row-sparse (does not consume its arguments):
 * sparse + sparse concatenates the rows, sparse + dense is one `indexAdd` into the dense one.
 */
export function addGradients(a: Tensor, b: Tensor): Tensor {
  const sa = a instanceof RowSparseTensor;
  const sb = b instanceof RowSparseTensor;
  if (!sa && !sb) return add(a, b);
  if (sa && sb) {
    if (a.shape.length !== b.shape.length || a.shape.some((n, i) => n !== b.shape[i])) {
      throw new ShapeError(`sparse gradient accumulation: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
    }
    return new RowSparseTensor(cat([a.indices, b.indices], 0), cat([a.values, b.values], 0), a.shape);
  }
  const [s, d] = sa ? [a as RowSparseTensor, b] : [b as RowSparseTensor, a];
  return indexAdd(d, 0, s.indices, s.values);
}
