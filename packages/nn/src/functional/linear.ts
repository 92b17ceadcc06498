/** `F.linear`, `F.bilinear`. */
import { ShapeError, add, einsum, matmul, reshape, t, tidy, type Tensor } from '@torchlet/tensor';

/** `F.linear(x, weight, bias=None)`: x·Wᵀ + b over the last dim of `x`. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2 && weight.ndim !== 1) throw new ShapeError(`linear: weight must be 1-D or 2-D (got shape [${weight.shape.join(', ')}])`);
  const inF = weight.shape[weight.ndim - 1]!;
  const last = x.ndim === 0 ? 1 : x.shape[x.ndim - 1]!;
  if (x.ndim === 0 || last !== inF) {
    const rows = x.ndim <= 1 ? 1 : x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const wt = weight.ndim === 2 ? `${inF}x${weight.shape[0]}` : `${inF}x1`;
    throw new ShapeError(`linear: mat1 and mat2 shapes cannot be multiplied (${rows}x${last} and ${wt}) (input [${x.shape.join(', ')}], weight [${weight.shape.join(', ')}])`);
  }
  if (bias && bias.ndim > 1) throw new ShapeError(`linear: bias must be 0-D or 1-D (got shape [${bias.shape.join(', ')}])`);
  return tidy(() => {
    const y = matmul(x, weight.ndim === 2 ? t(weight) : weight);
    return bias ? add(y, bias) : y;
  });
}

/** `F.bilinear(x1, x2, weight, bias=None)`: y_k = x1ᵀ W_k x2 + b_k. */
export function bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 3) throw new ShapeError(`bilinear(): weight must be 3-D (got shape [${weight.shape.join(', ')}])`);
  const [, in1, in2] = weight.shape as [number, number, number];
  if (x1.ndim === 0 || x1.shape[x1.ndim - 1] !== in1) {
    throw new ShapeError(`bilinear(): input1 size does not match weight size: got ${x1.shape[x1.ndim - 1]} but expected ${in1}`);
  }
  if (x2.ndim === 0 || x2.shape[x2.ndim - 1] !== in2) {
    throw new ShapeError(`bilinear(): input2 size does not match weight size: got ${x2.shape[x2.ndim - 1]} but expected ${in2}`);
  }
  if (x1.ndim !== x2.ndim || x1.shape.slice(0, -1).some((n, i) => n !== x2.shape[i])) {
    throw new ShapeError(`bilinear(): input batch dimensions do not match: got [${x1.shape.slice(0, -1).join(', ')}] and [${x2.shape.slice(0, -1).join(', ')}]`);
  }
  return tidy(() => {
    const lead = x1.shape.slice(0, -1);
    const a = reshape(x1, [-1, in1]);
    const b = reshape(x2, [-1, in2]);
    let y = einsum('bi,kij,bj->bk', a, weight, b);
    if (bias) y = add(y, bias);
    return reshape(y, [...lead, weight.shape[0]!]);
  });
}
