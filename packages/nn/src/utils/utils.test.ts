import * as torch from '@torchlet/tensor';
import { expect, test } from 'vitest';
import * as nn from '../index.js';

test('clipGradValue_ clamps gradients; clipGradNorm_ with the inf norm; parameters ↔ vector', () => {
  const before = torch.memoryStats();
  const a = new nn.Parameter(torch.zeros([2, 2]));
  const b = new nn.Parameter(torch.zeros([3]));
  a.grad = torch.tensor([[1, -5], [0.5, 3]]);
  b.grad = torch.tensor([-0.2, 4, 0]);
  nn.utils.clipGradValue_([a, b], 2);
  expect(Array.from(a.grad.dataSync())).toEqual([1, -2, 0.5, 2]);
  const total = nn.utils.clipGradNorm_([a, b], 1, { normType: Infinity });
  expect(total.item()).toBe(2);
  expect(Array.from(b.grad.dataSync()).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([-0.1, 1, 0]);
  const none = nn.utils.clipGradNorm_([new nn.Parameter(torch.zeros([1]))], 1);
  expect(none.item()).toBe(0);
  const lin = new nn.Linear(3, 2);
  const vec = nn.utils.parametersToVector(lin.parameters());
  expect(vec.shape).toEqual([8]);
  const doubled = torch.mul(vec, 2);
  nn.utils.vectorToParameters(doubled, lin.parameters());
  expect(Array.from(lin.weight.dataSync())).toEqual(Array.from(doubled.dataSync()).slice(0, 6));
  for (const t of [a, b, total, none, vec, doubled]) t.dispose();
  lin.dispose();
  // the parameter made inline above is freed by GC only; count it out
  const after = torch.memoryStats();
  expect(after.liveTensors - before.liveTensors).toBeLessThanOrEqual(1);
});
