import { describe, expect, it } from 'vitest';
import { assertClose, broadcastValues, f16BitsToF32, f32ToF16Bits, place, roundHalfEven, roundToDType, stridedValues } from './helpers.js';
import { axisLines, binaryRef, castRef, erf, floorDivideRef, reductionGroups, remainderRef, sortPermutation, unaryRef } from './reference.js';

describe('conformance helpers', () => {
  it('evaluates strided views: transposed, sliced with offset, broadcast', () => {
    const data = [0, 1, 2, 3, 4, 5];
    expect(stridedValues(data, [3, 2], [1, 3], 0)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(stridedValues(data, [2], [2], 1)).toEqual([1, 3]);
    expect(stridedValues(data, [2, 3], [0, 1], 2)).toEqual([2, 3, 4, 2, 3, 4]);
    expect(stridedValues([7], [], [], 0)).toEqual([7]);
    expect(broadcastValues([1, 2], [2, 1], [2, 3])).toEqual([1, 1, 1, 2, 2, 2]);
    for (const layout of ['contiguous', 'transposed', 'strided'] as const) {
      const values = [1, 2, 3, 4, 5, 6];
      const p = place(values, [2, 3], layout, -1);
      expect(stridedValues(p.data, [2, 3], p.strides, p.offset), layout).toEqual(values);
    }
  });

  it('reports mismatches like torch.testing.assert_close', () => {
    expect(() => assertClose([1, 2, 3], [1, 2, 3.0000001], { rtol: 1e-5, atol: 1e-6 })).not.toThrow();
    expect(() => assertClose([NaN, Infinity], [NaN, Infinity], { rtol: 0, atol: 0 })).not.toThrow();
    expect(() => assertClose([1, 2.5], [1, 2], { rtol: 1e-5, atol: 1e-6, shape: [1, 2], label: 'case' })).toThrow(
      /case: Tensor-likes are not close![\s\S]*Mismatched elements: 1 \/ 2 \(50\.0%\)[\s\S]*at index \(0, 1\)/,
    );
    expect(() => assertClose([Infinity], [-Infinity], { rtol: 1, atol: 1 })).toThrow(/not close/);
    expect(() => assertClose([0], [NaN], { rtol: 1, atol: 1 })).toThrow(/not close/);
  });

  it('rounds to dtypes: half to even, float16, int32 wrap, bool', () => {
    expect([0.5, 1.5, 2.5, -0.5, -2.5, 3.5, 2.4].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 4, 2]);
    expect(roundToDType('int32', 2147483648)).toBe(-2147483648);
    expect(roundToDType('bool', NaN)).toBe(1);
    expect(roundToDType('float32', 16777217)).toBe(16777216);
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00);
    expect(f32ToF16Bits(2049)).toBe(f32ToF16Bits(2048));
    expect(f32ToF16Bits(2 ** -24)).toBe(1);
    expect(f16BitsToF32(f32ToF16Bits(0.1))).toBeCloseTo(0.0999755859375, 12);
    for (const v of [0.333, -7.25, 1e-5, 6e-8, 1000.5]) expect(Math.abs(f16BitsToF32(f32ToF16Bits(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25);
  });

  it('computes erf to float64 accuracy', () => {
    const known: [number, number][] = [[0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3, 0.9999779095030014], [-0.1, -0.1124629160182849]];
    for (const [x, v] of known) expect(Math.abs(erf(x) - v), `erf(${x})`).toBeLessThan(1e-15);
    // Beyond 3 the continued fraction takes over; 1 - erf(x) is limited by float64 spacing near 1.
    expect(Math.abs(1 - erf(3.5) - 7.430983723414128e-7)).toBeLessThan(2.3e-16);
    expect(Math.abs(1 - erf(5) - 1.5374597944280349e-12)).toBeLessThan(2.3e-16);
    expect(erf(-4)).toBe(-erf(4));
  });

  it('follows PyTorch for sign, remainder, floor division, softplus, casts and NaN logic', () => {
    expect(unaryRef('sign', 0, 'float32')).toBe(0);
    expect(unaryRef('softplus', 25, 'float32')).toBe(25);
    expect(unaryRef('square', 65536, 'int32')).toBe(0);
    expect([remainderRef(-7, 2, true), remainderRef(7, -2, true), remainderRef(-0.5, 2, false)]).toEqual([1, -1, 1.5]);
    expect([floorDivideRef(-7, 2, true), floorDivideRef(7, -2, false), floorDivideRef(1, 0, false)]).toEqual([-4, -4, Infinity]);
    expect(binaryRef('mul', 46341, 46341, 'int32') | 0).toBe(-2147479015);
    expect(binaryRef('logicalAnd', NaN, 1, 'float32')).toBe(1);
    expect([castRef(-2.7, 'int32'), castRef(NaN, 'bool'), castRef(0.3, 'float32')]).toEqual([-2, 1, Math.fround(0.3)]);
  });

  it('groups reductions, lines and stable sorts', () => {
    expect(reductionGroups([1, 2, 3, 4, 5, 6], [2, 3], [1])).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(reductionGroups([1, 2, 3, 4, 5, 6], [2, 3], [0])).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(axisLines([2, 3], 0)).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(sortPermutation([2, NaN, 1, 2, NaN], false)).toEqual([2, 0, 3, 1, 4]);
    expect(sortPermutation([2, NaN, 1, 2, NaN], true)).toEqual([1, 4, 0, 3, 2]);
  });
});
