import '@torchlet/backend-cpu';
import { test } from 'vitest';
import { tensor } from '../creation/from-data.js';
import './elementwise.js';
import './conversion.js';
import { sum, mean, variance, max, argmax, logsumexp, cumsum, cummax, all, any, norm, countNonzero, prod, std, amax } from './reduce.js';

test('smoke', () => {
  const x = tensor([[1, 5, 3], [4, 2, 6]]);
  console.log(Array.from(sum(x).dataSync()), Array.from(sum(x, 1).dataSync()), sum(x, { dim: [0, 1], keepdim: true }).shape);
  console.log(Array.from(mean(x, 1).dataSync()), Array.from(variance(x, 1).dataSync()), Array.from(std(x).dataSync()));
  const m = max(x, 1);
  console.log(Array.from(m.values.dataSync()), Array.from(m.indices.dataSync()), m.indices.dtype);
  console.log(Array.from(argmax(x).dataSync()), Array.from(logsumexp(x, 1).dataSync()));
  console.log(Array.from(cumsum(x, 1).dataSync()));
  const c = cummax(tensor([1, 3, 2, 3, NaN, 1, 5]), 0);
  console.log(Array.from(c.values.dataSync()), Array.from(c.indices.dataSync()));
  console.log(Array.from(all(x).dataSync()), Array.from(any(x, 0).dataSync()), Array.from(norm(x).dataSync()), Array.from(countNonzero(x).dataSync()));
  console.log(Array.from(prod(tensor([1, 2, 3], { dtype: 'int32' })).dataSync()), amax(x).shape);
  try { sum(tensor([2e9, 2e9], { dtype: 'int32' })); } catch (e) { console.log(String(e)); }
});
