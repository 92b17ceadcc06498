/** Row-major strides for `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Whether a view with these strides walks memory in row-major order without gaps (size-1 axes ignored). */
export function isContiguousView(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const n = shape[i]!;
    if (n === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= n;
  }
  return true;
}
