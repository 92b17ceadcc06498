/** Iteration-space helpers shared by the kernels: element counts and dimension coalescing. */

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Simplifies an iteration space walked by several strided operands at once: drops
 * size-1 dimensions and merges neighbours that every operand walks as one (stride of the
 * outer = stride of the inner × size of the inner). A contiguous elementwise op becomes
 * rank 1, a transposed one stays rank 2, so few shader variants are compiled.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[d]! * n)) {
      // the previous (outer) kept dim continues into this one: merge
      outShape[last] = outShape[last]! * n;
      strides.forEach((s, k) => (outStrides[k]![last] = s[d]!));
      continue;
    }
    outShape.push(n);
    strides.forEach((s, k) => outStrides[k]!.push(s[d]!));
  }
  return { shape: outShape, strides: outStrides };
}

/** `strides` with the entry for `axis` replaced by `value`. */
export function withStride(strides: readonly number[], axis: number, value: number): number[] {
  return strides.map((s, d) => (d === axis ? value : s));
}

/** Strides that are `value` along `axis` and 0 elsewhere (a 1-D operand walking one axis). */
export function alongAxis(rank: number, axis: number, value: number): number[] {
  const out = new Array<number>(rank).fill(0);
  out[axis] = value;
  return out;
}

/**
 * Splits `count` workgroups into an (x, y, z) grid with no dimension above `maxPerDim`
 * (WebGPU's maxComputeWorkgroupsPerDimension, 65,535 by default). Kernels linearise the
 * grid back (`x + nx · (y + ny · z)`) and ignore ids past `count`.
 */
export function splitGrid(count: number, maxPerDim: number): [number, number, number] {
  if (count <= 0) return [0, 0, 0];
  const x = Math.min(count, maxPerDim);
  const rest = Math.ceil(count / x);
  const y = Math.min(rest, maxPerDim);
  const z = Math.ceil(rest / y);
  if (z > maxPerDim) throw new RangeError(`webgpu: ${count} workgroups exceed the ${maxPerDim}³ dispatch grid`);
  return [x, y, z];
}
