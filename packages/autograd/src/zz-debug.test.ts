import { test } from 'vitest';
import * as torch from '@torchlet/tensor';
import { logaddexp, grad } from './index.js';
test('dbg', () => {
  const x1 = torch.tensor([0.3, -1.2, 2.0], { dtype: 'float64', requiresGrad: true });
  const x2 = torch.tensor([0.1, 0.4, -0.5], { dtype: 'float64', requiresGrad: true });
  const y = logaddexp(x1, x2);
  console.log(y.requiresGrad, y.gradFn?.name, Array.from(y.dataSync()));
  const g = grad(y, [x1, x2], { gradOutputs: torch.tensor([1, 0, 0], { dtype: 'float64' }) });
  console.log(g.map(t => t && Array.from(t.dataSync())));
});
