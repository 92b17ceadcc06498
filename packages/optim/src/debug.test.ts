import '@torchlet/autograd';
import { loadCase } from '@torchlet/fixtures';
import { fromTypedArray } from '@torchlet/tensor';
import { test } from 'vitest';
import { SGD } from './optimizers/sgd.js';
import { quadraticBackward } from './fixtures.test.js';

test('debug', async () => {
  const k = loadCase('optim_sgd');
  const p = fromTypedArray(k.t['in.p0']!.data.slice(), k.t['in.p0']!.shape).requiresGrad_();
  const b = fromTypedArray(k.t['in.b0']!.data.slice(), k.t['in.b0']!.shape).requiresGrad_();
  const x = fromTypedArray(k.t['in.x']!.data.slice(), k.t['in.x']!.shape);
  const y = fromTypedArray(k.t['in.y']!.data.slice(), k.t['in.y']!.shape);
  console.log('p0', Array.from(await p.data()).slice(0, 4));
  quadraticBackward(x, y, p, b);
  console.log('grad', Array.from(await p.grad!.data()).slice(0, 4));
  const opt = new SGD([p, b], { lr: 0.1 });
  opt.step();
  console.log('p1', Array.from(await p.data()).slice(0, 4), 'expected', Array.from(k.t['out.p1']!.data).slice(0, 4));
});
