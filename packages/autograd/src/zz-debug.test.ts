import { test } from 'vitest';
import * as torch from '@torchlet/tensor';
import './index.js';
test('dbg', () => {
  const s = () => torch.memoryStats().liveStorages;
  const x = torch.tensor([1, 2, 3], { requiresGrad: true });
  console.log('start', s());
  const y = torch.exp(x); console.log('exp', s());
  const z = torch.sum(y); console.log('sum', s());
  z.backward(); console.log('backward', s(), x.grad?.storage.refCount);
  z.dispose(); console.log('z', s());
  y.dispose(); console.log('y', s());
  x.dispose(); console.log('x', s());
});
