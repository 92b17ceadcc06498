/** Small building blocks shared by the derivative formulas (all public, dispatched ops). */
import { pad, reshape, unsqueeze, expand, type Shape, type Tensor } from '@torchlet/tensor';

/** F.pad's list (last dim first) that pads only `dim` by (before, after); negative crops. */
export function padList(ndim: number, dim: number, before: number, after: number): number[] {
  const out: number[] = [];
  for (let d = ndim - 1; d >= dim; d--) {
    if (d === dim) out.push(before, after);
    else out.push(0, 0);
  }
  return out;
}

/** Pads (or crops, for negative sizes) `g` along `dim` with zeros. */
export function padAlong(g: Tensor, dim: number, before: number, after: number): Tensor {
  return pad(g, padList(g.ndim, dim, before, after));
}

/** A reduced gradient with the reduced dims reinserted as size 1 (when keepdim was false). */
export function keepDims(g: Tensor, inShape: Shape, dims: readonly number[], keepdim: boolean): Tensor {
  return keepdim ? g : reshape(g, keptShape(inShape, dims));
}

/** The shape with the `dims` set to 1. */
export function keptShape(shape: Shape, dims: readonly number[]): number[] {
  return shape.map((n, d) => (dims.includes(d) ? 1 : n));
}

/** The gradient of a reduction broadcast back over the input's shape. */
export function unreduce(g: Tensor, inShape: Shape, dims: readonly number[], keepdim: boolean): Tensor {
  return expand(keepDims(g, inShape, dims, keepdim), inShape);
}

/** `t` with a size-1 dim at `dim` unless `keepdim` already kept it. */
export function keepDim(t: Tensor, dim: number, keepdim: boolean, inNdim: number): Tensor {
  if (keepdim || inNdim === 0) return t;
  return unsqueeze(t, dim);
}
