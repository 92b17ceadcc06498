import { promoteTypes, type DType } from '@torchlet/backend';
import { Tensor } from './tensor.js';

/** An op operand: a tensor, or a JavaScript number/boolean used as a scalar. */
export type Scalar = number | boolean;
/** An op operand: a tensor or a scalar (broadcast, typed as PyTorch types a Python scalar). */
export type Operand = Tensor | Scalar;

const CATEGORY: Readonly<Record<DType, number>> = { bool: 0, int32: 1, float16: 2, float32: 2, float64: 2 };

/** The dtype a JavaScript scalar stands for: booleans bool, integral numbers int32, others float32. */
export function scalarDType(value: Scalar): DType {
  if (typeof value === 'boolean') return 'bool';
  return Number.isInteger(value) ? 'int32' : 'float32';
}

/**
 * PyTorch's `torch.result_type`: tensors with dimensions decide; zero-dim tensors and
 * scalars only raise the category (bool < integer < floating), in which case a float
 * scalar contributes the default dtype float32. JavaScript cannot tell `2` from `2.0`, so
 * an integral number counts as an integer scalar: `intTensor.add(2)` stays int32,
 * `intTensor.add(2.5)` is float32.
 */
export function resultType(...operands: readonly Operand[]): DType {
  let dim: DType | undefined;
  let zeroDim: DType | undefined;
  let scalar: DType | undefined;
  for (const o of operands) {
    if (o instanceof Tensor) {
      if (o.ndim > 0) dim = dim ? promoteTypes(dim, o.dtype) : o.dtype;
      else zeroDim = zeroDim ? promoteTypes(zeroDim, o.dtype) : o.dtype;
    } else {
      const d = scalarDType(o);
      scalar = scalar ? promoteTypes(scalar, d) : d;
    }
  }
  let out = dim;
  for (const next of [zeroDim, scalar]) {
    if (next === undefined) continue;
    if (out === undefined) out = next;
    else if (CATEGORY[next] > CATEGORY[out]) out = next === 'float32' && next === scalar ? 'float32' : promoteTypes(out, next);
  }
  return out ?? 'float32';
}

export function isFloatDType(d: DType): boolean {
  return CATEGORY[d] === 2;
}

/** The float dtype an int/bool input is computed in by float-only ops (exp, div …). */
export function toFloatDType(d: DType): DType {
  return isFloatDType(d) ? d : 'float32';
}
