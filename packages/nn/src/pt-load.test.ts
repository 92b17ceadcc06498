/**
 * A state dict written by real PyTorch (`torch.save(net.state_dict())`, see
 * packages/io/test-data/make.py) loads into the same architecture built here and gives
 * PyTorch's outputs.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPt } from '@torchlet/io';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { expect, test } from 'vitest';
import * as nn from './index.js';

const dataDir = join(dirname(fileURLToPath(import.meta.url)), '../../io/test-data');

/** make.py's `Net`: fc1 → BatchNorm1d → ReLU → fc2, plus two registered buffers. */
class Net extends nn.Module {
  fc1 = new nn.Linear(4, 3);
  bn = new nn.BatchNorm1d(3);
  fc2 = new nn.Linear(3, 2);

  constructor() {
    super();
    this.registerBuffer('transposed', torch.zeros([4, 3]));
    this.registerBuffer('strided', torch.zeros([2, 3]));
  }

  override forward(x: Tensor): Tensor {
    return torch.tidy(() => this.fc2.call(torch.relu(this.bn.call(this.fc1.call(x)))));
  }
}

test('model.pt from PyTorch loads with its exact keys and reproduces the stored output', async () => {
  const expected = JSON.parse(readFileSync(join(dataDir, 'model.json'), 'utf8')) as {
    keys: string[];
    input: number[];
    input_shape: number[];
    output: number[];
    output_shape: number[];
    tensors: Record<string, { values: number[] }>;
  };
  const sd = await loadPt(join(dataDir, 'model.pt'));
  const net = new Net();
  expect(Object.keys(net.stateDict()).sort()).toEqual([...expected.keys].sort());
  expect(net.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
  expect(Array.from(net.getBuffer('transposed')!.dataSync())).toEqual(expected.tensors.transposed!.values);
  expect(net.getBuffer('bn.num_batches_tracked')!.item()).toBe(expected.tensors['bn.num_batches_tracked']!.values[0]);
  net.eval();
  const x = torch.tensor(expected.input, { shape: expected.input_shape });
  const y = net.call(x);
  expect(y.shape).toEqual(expected.output_shape);
  const got = Array.from(await y.data());
  got.forEach((v, i) => expect(Math.abs(v - expected.output[i]!)).toBeLessThan(1e-5));
  for (const t of [x, y, ...Object.values(sd)]) t.dispose();
  net.dispose();
});

test('a PyTorch state dict for a different architecture is refused with the offending keys', async () => {
  const bytes = new Uint8Array(readFileSync(join(dataDir, 'model.pt')));
  const sd = await loadPt(bytes);
  const other = new nn.Sequential(new nn.Linear(4, 3));
  expect(() => other.loadStateDict(sd)).toThrow(/Missing key\(s\) in state_dict: "0.weight", "0.bias"\. \n\tUnexpected key\(s\) in state_dict: "transposed", "strided", "fc1.weight"/);
  for (const t of Object.values(sd)) t.dispose();
  other.dispose();
});

test('a PyTorch file whose num_batches_tracked has shape [1] loads into the 0-d buffer, as load_state_dict does', async () => {
  // bn-1d-count.pt: make_misuse.py, which asserts that PyTorch loads it with num_batches_tracked 4
  const sd = await loadPt(join(dataDir, 'bn-1d-count.pt'));
  expect(sd.num_batches_tracked!.shape).toEqual([1]);
  const bn = new nn.BatchNorm1d(3);
  expect(bn.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
  expect(bn.getBuffer('num_batches_tracked')!.shape).toEqual([]);
  expect(bn.getBuffer('num_batches_tracked')!.item()).toBe(4);
  expect(Array.from(bn.weight!.dataSync())).toEqual([1, 2, 3]);
  for (const t of Object.values(sd)) t.dispose();
  bn.dispose();
});
