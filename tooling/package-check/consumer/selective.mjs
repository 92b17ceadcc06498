// Only the tensor core and the CPU backend: creation, arithmetic through Tensor methods,
// matmul, reductions and printing. Runs as is in Node and bundled in chromium.
import { arange, manualSeed, matmul, ones, randn, tensor, zeros } from '@torchlet/tensor';
import { cpuBackend } from '@torchlet/backend-cpu';

function near(a, b) {
  return Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
}

function same(name, got, want) {
  const g = JSON.stringify(got);
  const flat = (v) => (Array.isArray(v) ? v.flatMap(flat) : [v]);
  const [fg, fw] = [flat(got), flat(want)];
  if (fg.length !== fw.length || fg.some((v, i) => !near(v, fw[i]))) throw new Error(`${name}: got ${g}, want ${JSON.stringify(want)}`);
}

export async function run() {
  if (typeof cpuBackend !== 'object') throw new Error('backend-cpu: no cpuBackend export');
  const a = tensor([[1, 2], [3, 4]]);
  const b = ones([2, 2]);
  same('tensor', a.tolist(), [[1, 2], [3, 4]]);
  same('zeros', zeros([2, 3]).tolist(), [[0, 0, 0], [0, 0, 0]]);
  same('arange', arange(5).tolist(), [0, 1, 2, 3, 4]);
  same('add', a.add(b).tolist(), [[2, 3], [4, 5]]);
  same('sub', a.sub(b).tolist(), [[0, 1], [2, 3]]);
  same('mul', a.mul(2).tolist(), [[2, 4], [6, 8]]);
  same('div', a.div(4).tolist(), [[0.25, 0.5], [0.75, 1]]);
  same('neg', a.neg().tolist(), [[-1, -2], [-3, -4]]);
  same('matmul', a.matmul(tensor([[1, 0], [1, 1]])).tolist(), [[3, 2], [7, 4]]);
  same('matmul()', matmul(a, a).tolist(), [[7, 10], [15, 22]]);
  same('sum', a.sum().item(), 10);
  same('mean', a.mean().item(), 2.5);
  same('sum(dim)', a.sum(1).tolist(), [3, 7]);
  same('amax', a.amax(0).tolist(), [3, 4]);
  same('transpose', a.t().tolist(), [[1, 3], [2, 4]]);
  manualSeed(0);
  const r = randn([4000]);
  const mean = r.mean().item();
  const std = r.std().item();
  if (Math.abs(mean) > 0.05 || Math.abs(std - 1) > 0.05) throw new Error(`randn: mean ${mean}, std ${std}`);
  const printed = String(a);
  const want = 'tensor([[1., 2.],\n        [3., 4.]])';
  if (printed !== want) throw new Error(`printing: got ${JSON.stringify(printed)}, want ${JSON.stringify(want)}`);
  return { ok: true, printed, randnMean: mean };
}
