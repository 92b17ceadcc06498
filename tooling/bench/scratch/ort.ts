import { ortSession } from '../src/peers/onnx.js';
const n = 1024;
const a = new Float32Array(n * n).map(() => Math.random()), b = new Float32Array(n * n).map(() => Math.random());
const s = await ortSession({ inputs: [{ name: 'a', shape: [n, n] }, { name: 'b', shape: [n, n] }], outputs: [{ name: 'c', shape: [n, n] }], nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }] }, { a, b }, 2);
for (let i = 0; i < 5; i++) { const t0 = performance.now(); const c = await s!.run(); console.log((performance.now() - t0).toFixed(1), c[0], (() => { let x = 0; for (let k = 0; k < n; k++) x += a[k]! * b[k * n]!; return x; })()); }
const N = 1e7; const x = new Float32Array(N).map(() => Math.random() * 4 - 2);
const e = await ortSession({ inputs: [{ name: 'x', shape: [N] }], outputs: [{ name: 'y', shape: [N] }], nodes: [
  { op: 'Tanh', inputs: ['x'], outputs: ['t'] }, { op: 'Sigmoid', inputs: ['x'], outputs: ['s'] }, { op: 'Mul', inputs: ['t', 's'], outputs: ['p'] }, { op: 'Add', inputs: ['p', 'x'], outputs: ['y'] }] }, { x }, 2);
for (let i = 0; i < 5; i++) { const t0 = performance.now(); const y = await e!.run(); console.log('w4', (performance.now() - t0).toFixed(1), y[5], Math.tanh(x[5]!) / (1 + Math.exp(-x[5]!)) + x[5]!); }
