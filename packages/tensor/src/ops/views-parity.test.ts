/** Forward parity with PyTorch for the view / shape / indexing fixture cases. */
import { loadCase, type FixtureTensor } from '@torchlet/fixtures';
import { describe, expect, it } from 'vitest';
import { cat, gather, indexSelect, oneHot, stack, tensor, type Tensor } from '../index.js';

function toTensor(f: FixtureTensor): Tensor {
  return tensor(f.data, { shape: f.shape });
}

function expectClose(actual: Tensor, expected: FixtureTensor, rtol: number, atol: number): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.data;
  expect(a.length).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const diff = Math.abs(a[i]! - e[i]!);
    if (diff > atol + rtol * Math.abs(e[i]!)) {
      throw new Error(`element ${i}: got ${a[i]}, expected ${e[i]} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

type Runner = (t: Record<string, Tensor>) => Tensor;

const CASES: Record<string, Runner> = {
  transpose_contiguous: ({ x }) => x!.transpose(0, 2).contiguous().mul(2),
  permute: ({ x }) => x!.permute(2, 0, 1).mul(1.5),
  expand: ({ x }) => x!.expand(3, 4, 5).mul(1.0),
  slice_step: ({ x }) => x!.index('1:', '::2').mul(1.0),
  cat: ({ a, b }) => cat([a!, b!], 1),
  stack: ({ a, b }) => stack([a!, b!], 0),
  gather: ({ x, index }) => gather(x!, 1, index!),
  index_select: ({ x, index }) => indexSelect(x!, 0, index!),
  one_hot: ({ labels }) => oneHot(labels!, 6),
};

describe('PyTorch fixtures: views, shape and indexing forwards', () => {
  for (const [name, run] of Object.entries(CASES)) {
    it(`${name} matches PyTorch`, () => {
      const c = loadCase(name);
      const inputs: Record<string, Tensor> = {};
      for (const [key, f] of Object.entries(c.t)) if (key.startsWith('in.')) inputs[key.slice(3)] = toTensor(f);
      const out = run(inputs);
      const expected = c.t['out.output']!;
      if (name === 'one_hot') expect(out.dtype).toBe('int32');
      expectClose(out, expected, c.rtol, c.atol);
    });
  }
});
