/**
 * `copy_`: the one registered in-place primitive. Every in-place op (`add_`, `fill_`,
 * `x.set(...)`, …) computes its result out of place and writes it with `copy_`, so autograd
 * needs one in-place derivative and the storage's version counter is bumped in one place.
 */
import type { DType } from '@torchlet/backend';
import { DTypeError, RuntimeError, ShapeError, fmtShape } from '../core/errors.js';
import { allocTensor, fromHost } from '../core/factory.js';
import type { Scalar } from '../core/promotion.js';
import { broadcastShapes, shapesEqual } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import { broadcastView, castKernel, scalarTensor } from './common.js';

const TORCH_NAMES: Readonly<Record<DType, string>> = { float32: 'Float', float64: 'Double', int32: 'Int', bool: 'Bool', float16: 'Half' };

/** PyTorch's name for a dtype in messages (`Float`, `Int`, …). */
export function torchDTypeName(dtype: DType): string {
  return TORCH_NAMES[dtype];
}

const CATEGORY: Readonly<Record<DType, number>> = { bool: 0, int32: 1, float16: 2, float32: 2, float64: 2 };

/** PyTorch's `canCast`: no float → integer/bool and no integer → bool for op results written in place. */
export function canCast(from: DType, to: DType): boolean {
  return CATEGORY[from] <= CATEGORY[to];
}

/** Refuses writes into views where several elements share one memory location (from `expand`). */
export function checkWritable(x: Tensor, op: string): void {
  for (let i = 0; i < x.ndim; i++) {
    if (x.strides[i] === 0 && x.shape[i]! > 1) {
      throw new RuntimeError(
        `${op}: unsupported operation: more than one element of the written-to tensor refers to a single memory location. ` +
          'Please clone() the tensor before performing the operation.',
      );
    }
  }
}

function sameView(a: Tensor, b: Tensor): boolean {
  return a.offset === b.offset && shapesEqual(a.shape, b.shape) && shapesEqual(a.strides, b.strides);
}

/**
 * `dst.copy_(src)`: inputs `[dst, src]`, no attrs. Writes `src` broadcast to `dst`'s shape and
 * converted to `dst`'s dtype into `dst`'s memory, bumps the storage version, returns `dst`.
 */
export const copyDef = registerOp<Record<string, never>>({
  name: 'copy_',
  kind: 'primitive',
  differentiable: true,
  inplace: true,
  forward: ([dst, src]) => {
    const d = dst!;
    checkWritable(d, 'copy_');
    const shape = broadcastShapes(d.shape, src!.shape, 'copy_');
    if (!shapesEqual(shape, d.shape)) {
      throw new ShapeError(`copy_: output with shape ${fmtShape(d.shape)} doesn't match the broadcast shape ${fmtShape(shape)}`);
    }
    if (d.numel() > 0) {
      let s = src!;
      const temps: Tensor[] = [];
      try {
        if (s.device !== d.device) {
          s = fromHost(s.dataSync(), s.shape, s.dtype, d.device);
          temps.push(s);
        }
        const c = castKernel(s, d.dtype);
        if (c !== s) temps.push(c);
        let source = c;
        if (c.storage === d.storage && !sameView(c, d)) {
          // Overlapping source and destination: read everything before writing.
          source = allocTensor(c.shape, c.dtype, c.device);
          temps.push(source);
          c.backend.assign(source.kernelView, c.kernelView);
        }
        d.backend.assign(d.kernelView, broadcastView(source, d.shape));
      } finally {
        for (const t of temps) t.dispose();
      }
    }
    d.storage.version++;
    return d;
  },
});

/** `dst.copy_(src)`: copies (with broadcasting and dtype conversion) into `dst`; returns `dst`. */
export function copy_(dst: Tensor, src: Tensor | Scalar): Tensor {
  if (src instanceof Tensor) return call1(copyDef, [dst, src]);
  const s = scalarTensor(src, dst.dtype, dst.device);
  try {
    return call1(copyDef, [dst, s]);
  } finally {
    s.dispose();
  }
}

/**
 * Writes an out-of-place result `r` back into `self` for an in-place op: `r` must have
 * `self`'s shape (no broadcasting of self) and a dtype that can be cast to self's.
 */
export function copyBack(self: Tensor, r: Tensor, op: string): Tensor {
  if (!shapesEqual(r.shape, self.shape)) {
    throw new ShapeError(`${op}: output with shape ${fmtShape(self.shape)} doesn't match the broadcast shape ${fmtShape(r.shape)}`);
  }
  if (!canCast(r.dtype, self.dtype)) {
    throw new DTypeError(`${op}: result type ${torchDTypeName(r.dtype)} can't be cast to the desired output type ${torchDTypeName(self.dtype)}`);
  }
  return call1(copyDef, [self, r]);
}
