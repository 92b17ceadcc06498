import { describe, expect, it } from 'vitest';
import { be, empty, permute, tensor, values } from '../../test/helpers.js';

describe('scan', () => {
  const x = permute(tensor('float64', [3, 2], [1, 4, -2, 5, 3, -6]), [1, 0]); // [[1, -2, 3], [4, 5, -6]]

  it('cumsum and cumprod along each axis of a transposed view', () => {
    const out = empty('float64', [2, 3]);
    be.scan('cumsum', x, 1, out);
    expect(values(out)).toEqual([1, -1, 2, 4, 9, 3]);
    be.scan('cumsum', x, 0, out);
    expect(values(out)).toEqual([1, -2, 3, 5, 3, -3]);
    be.scan('cumprod', x, 1, out);
    expect(values(out)).toEqual([1, -2, -6, 4, 20, -120]);
  });

  it('cummax and cummin, with NaN sticking once seen', () => {
    const out = empty('float64', [2, 3]);
    be.scan('cummax', x, 1, out);
    expect(values(out)).toEqual([1, 1, 3, 4, 5, 5]);
    be.scan('cummin', x, 1, out);
    expect(values(out)).toEqual([1, -2, -2, 4, 4, -6]);
    const n = tensor('float32', [4], [1, NaN, 5, 0]);
    const o = empty('float32', [4]);
    be.scan('cummax', n, 0, o);
    expect(values(o).map((v) => (Number.isNaN(v) ? 'nan' : v))).toEqual([1, 'nan', 'nan', 'nan']);
  });

  it('int32 cumsum overflow throws RangeError', () => {
    expect(() => be.scan('cumsum', tensor('int32', [2], [2147483647, 1]), 0, empty('int32', [2]))).toThrow(RangeError);
    const o = empty('int32', [3]);
    be.scan('cumprod', tensor('int32', [3], [-2, 3, 4]), 0, o);
    expect(values(o)).toEqual([-2, -6, -24]);
  });

  it('handles zero-size lines', () => {
    be.scan('cumsum', empty('float32', [3, 0]), 1, empty('float32', [3, 0]));
  });
});
