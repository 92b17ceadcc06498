import { test } from 'vitest';
import { listOps } from '@torchlet/tensor';
import { getDerivative } from './index.js';
test('list', () => {
  const rows = listOps().filter(o => o.differentiable && (o.kind !== 'composite' || o.ownDerivative)).map(o => `${o.name}:${o.kind}${o.ownDerivative ? '+own' : ''}${o.inplace ? '+inplace' : ''}${getDerivative(o.name) ? '' : ' MISSING'}`);
  console.log(rows.join('\n'));
  console.log('composites:', listOps().filter(o => o.kind === 'composite' && !o.ownDerivative).map(o => o.name + (o.differentiable ? '' : '(nd)')).join(' '));
  console.log('nondiff:', listOps().filter(o => !o.differentiable).map(o => o.name).join(' '));
});
