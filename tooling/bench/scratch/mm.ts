import { contiguousStrides, type TensorView } from '@torchlet/backend';
import { CpuBackend, setNumThreads } from '@torchlet/backend-cpu';
const be = new CpuBackend({ kernels: 'wasm' });
function mk(shape: number[]): TensorView {
  const n = shape.reduce((a, b) => a * b, 1);
  const buffer = be.alloc('float32', n);
  const d = buffer.data; for (let i = 0; i < n; i++) d[i] = Math.random() - 0.5;
  return { buffer, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
}
const T = (v: TensorView): TensorView => ({ ...v, shape: [v.shape[1]!, v.shape[0]!], strides: [v.strides[1]!, v.strides[0]!] });
function time(name: string, flops: number, f: () => void) {
  for (let i = 0; i < 5; i++) f();
  const ts: number[] = [];
  for (let r = 0; r < 7; r++) { const n = 20; const t0 = performance.now(); for (let i = 0; i < n; i++) f(); ts.push((performance.now() - t0) / n); }
  ts.sort((a, b) => a - b);
  console.log(name.padEnd(40), ts[0]!.toFixed(3), 'ms', (flops / ts[0]! / 1e6).toFixed(1), 'GFLOP/s (min)', ts[3]!.toFixed(3), 'med');
}
for (const th of [1, 2]) {
  setNumThreads(th); be.waitForThreads();
  console.log('threads', th);
  const h = mk([32, 256]), whh = mk([768, 256]), gh = mk([32, 768]);
  time('fwd step h@Whh^T 32x256x768', 2 * 32 * 256 * 768, () => be.matmul(h, T(whh), gh));
  const dgh = mk([32, 768]), rec = mk([32, 256]);
  time('bwd step dgh@Whh 32x768x256', 2 * 32 * 256 * 768, () => be.matmul(dgh, whh, rec));
  const dghAll = mk([2048, 768]), hprev = mk([2048, 256]), dW = mk([768, 256]);
  time('dW dgh^T@hPrev 768x2048x256', 2 * 2048 * 256 * 768, () => be.matmul(T(dghAll), hprev, dW));
  const x = mk([2048, 128]), wih = mk([768, 128]), gx = mk([2048, 768]);
  time('gx x@Wih^T 2048x128x768', 2 * 2048 * 128 * 768, () => be.matmul(x, T(wih), gx));
  const dx = mk([2048, 128]);
  time('dx dgx@Wih 2048x768x128', 2 * 2048 * 128 * 768, () => be.matmul(dghAll, wih, dx));
  const dWih = mk([768, 128]);
  time('dWih dgx^T@x 768x2048x128', 2 * 2048 * 128 * 768, () => be.matmul(T(dghAll), x, dWih));
  const a = mk([1024, 1024]), b = mk([1024, 1024]), c = mk([1024, 1024]);
  time('1024^2', 2 * 1024 ** 3, () => be.matmul(a, b, c));
}
