import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValueError } from '../core/errors.js';
import { memoryStats, tensor, testing, zeros } from '../index.js';
import { AssertionError, assertClose, pyFloat } from './assert-close.js';

let baseline: ReturnType<typeof memoryStats>;
beforeEach(() => {
  baseline = memoryStats();
});
afterEach(() => {
  expect(memoryStats().liveTensors).toBe(baseline.liveTensors);
  expect(memoryStats().liveStorages).toBe(baseline.liveStorages);
});

async function message(p: Promise<void>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AssertionError);
    return (err as Error).message;
  }
  throw new Error('expected assertClose to reject');
}

describe('pyFloat', () => {
  it("prints numbers as Python's repr does", () => {
    expect(pyFloat(1e-5)).toBe('1e-05');
    expect(pyFloat(1.3e-6)).toBe('1.3e-06');
    expect(pyFloat(1e-7)).toBe('1e-07');
    expect(pyFloat(0.5)).toBe('0.5');
    expect(pyFloat(0.0001)).toBe('0.0001');
    expect(pyFloat(2)).toBe('2.0');
    expect(pyFloat(123456.5)).toBe('123456.5');
    expect(pyFloat(1e16)).toBe('1e+16');
    expect(pyFloat(1.5e300)).toBe('1.5e+300');
    expect(pyFloat(-0.25)).toBe('-0.25');
    expect(pyFloat(Infinity)).toBe('inf');
    expect(pyFloat(NaN)).toBe('nan');
    expect(pyFloat(Math.fround(0.1))).toBe('0.10000000149011612');
  });
});

describe('assertClose', () => {
  it('is exported as the testing namespace', () => {
    expect(testing.assertClose).toBe(assertClose);
  });

  it('passes for values within tolerance, against tensors, arrays and numbers', async () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([[1, 2, 3], [4, 5, 6.000001]]);
    await assertClose(a, b);
    await assertClose(a, [[1, 2, 3], [4, 5, 6]]);
    const flat = tensor([1, 2, 3]);
    await assertClose(flat, new Float32Array([1, 2, 3]));
    flat.dispose();
    const s = tensor(2.5);
    await assertClose(s, 2.5);
    await assertClose(1, 1 + 1e-9);
    for (const t of [a, b, s]) t.dispose();
  });

  it("reports mismatches in PyTorch's words", async () => {
    const a = zeros([3, 4]);
    const e = tensor([
      [0, 0, 0, 0],
      [0, 0, 0.5, 0],
      [0, 0.25, 0, -0.1],
    ]);
    const msg = await message(assertClose(a, e));
    expect(msg).toBe(
      'Tensor-likes are not close!\n\n' +
        'Mismatched elements: 3 / 12 (25.0%)\n' +
        'Greatest absolute difference: 0.5 at index (1, 2) (up to 1e-05 allowed)\n' +
        'Greatest relative difference: 1.0 at index (1, 2) (up to 1.3e-06 allowed)',
    );
    a.dispose();
    e.dispose();
  });

  it('computes relative differences against the expected values', async () => {
    const a = tensor([1, 2, 3, 4.5]);
    const msg = await message(assertClose(a, [1, 2, 3, 4]));
    expect(msg).toContain('Mismatched elements: 1 / 4 (25.0%)');
    expect(msg).toContain('Greatest absolute difference: 0.5 at index (3,) (up to 1e-05 allowed)');
    expect(msg).toContain('Greatest relative difference: 0.125 at index (3,) (up to 1.3e-06 allowed)');
    a.dispose();
  });

  it('uses float64 defaults for float64 tensors', async () => {
    const a = tensor(new Float64Array([1 + 1e-6]));
    const b = tensor(new Float64Array([1]));
    const msg = await message(assertClose(a, b));
    expect(msg).toContain('(up to 1e-07 allowed)');
    // The same difference passes at float32's tolerances.
    await assertClose(a, b, { rtol: 1.3e-6, atol: 1e-5 });
    a.dispose();
    b.dispose();
  });

  it('compares integers exactly and says "equal"', async () => {
    const a = tensor(new Int32Array([1, 2, 3]));
    const b = tensor(new Int32Array([1, 2, 4]));
    const msg = await message(assertClose(a, b));
    expect(msg).toBe(
      'Tensor-likes are not equal!\n\n' +
        'Mismatched elements: 1 / 3 (33.3%)\n' +
        'Greatest absolute difference: 1 at index (2,)\n' +
        'Greatest relative difference: 0.25 at index (2,)',
    );
    a.dispose();
    b.dispose();
  });

  it('reports shape, dtype and device mismatches', async () => {
    const a = zeros([2, 3]);
    const b = zeros([3, 2]);
    const d = zeros([2, 3], { dtype: 'float64' });
    expect(await message(assertClose(a, b))).toBe("The values for attribute 'shape' do not match: [2, 3] != [3, 2].");
    expect(await message(assertClose(a, d))).toBe(
      "The values for attribute 'dtype' do not match: torch.float32 != torch.float64.",
    );
    await assertClose(a, d, { checkDtype: false });
    expect(await message(assertClose(a, [1, 2]))).toContain("attribute 'shape'");
    for (const t of [a, b, d]) t.dispose();
  });

  it('handles NaN and infinities', async () => {
    const a = tensor([NaN, Infinity, 1]);
    const msg = await message(assertClose(a, [NaN, Infinity, 1]));
    expect(msg).toContain('Mismatched elements: 1 / 3 (33.3%)');
    expect(msg).toContain('Greatest absolute difference: nan at index (0,)');
    await assertClose(a, [NaN, Infinity, 1], { equalNan: true });
    expect(await message(assertClose(a, [NaN, -Infinity, 1], { equalNan: true }))).toContain('Mismatched elements: 1 / 3');
    a.dispose();
  });

  it('formats scalar mismatches like PyTorch', async () => {
    expect(await message(assertClose(1.5, 1))).toBe(
      'Scalars are not close!\n\n' +
        'Expected 1.0 but got 1.5.\n' +
        'Absolute difference: 0.5 (up to 1e-07 allowed)\n' +
        'Relative difference: 0.5 (up to 1e-07 allowed)',
    );
  });

  it('indexes 0-d tensors with ()', async () => {
    const a = tensor(1);
    expect(await message(assertClose(a, 2))).toContain('at index () (up to 1e-05 allowed)');
    a.dispose();
  });

  it('requires rtol and atol together, and honours msg', async () => {
    const a = tensor([1]);
    await expect(assertClose(a, [1], { rtol: 0.1 })).rejects.toThrow(ValueError);
    await expect(assertClose(a, [1], { rtol: 0.1 })).rejects.toThrow("Both 'rtol' and 'atol' must be either specified or omitted, but got no atol.");
    expect(await message(assertClose(a, [2], { msg: 'custom' }))).toBe('custom');
    await assertClose(a, [1.05], { rtol: 0, atol: 0.1 });
    a.dispose();
  });

  it('compares bool tensors as equality', async () => {
    const a = tensor([true, false]);
    await assertClose(a, [true, false]);
    expect(await message(assertClose(a, [true, true]))).toContain('Tensor-likes are not equal!');
    a.dispose();
  });
});
