import { contiguousStrides, type TensorView } from '@torchlet/backend';
import { CpuBackend, setNumThreads } from '@torchlet/backend-cpu';
const be = new CpuBackend({ kernels: 'wasm' });
const mk = (shape: number[]): TensorView => { const n = shape.reduce((a, b) => a * b, 1); const b = be.alloc('float32', n); const d = b.data; for (let i = 0; i < n; i++) d[i] = Math.sin(i); return { buffer: b, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 }; };
const n = 1024;
const a = mk([n, n]), b = mk([n, n]), c = mk([n, n]);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const mm = (label: string) => { const ws: string[] = []; for (let r = 0; r < 4; r++) { const w0 = performance.now(), c0 = cpu(); be.matmul(a, b, c); ws.push(`${(performance.now() - w0).toFixed(0)}/${(cpu() - c0).toFixed(0)}`); } console.log(label, ws.join(' ')); };
setNumThreads(1);
mm('t1');
if (process.env.GROW) { const big = be.alloc('float32', 2e7); console.log('grew', be.heapStats()); be.free(big); }
setNumThreads(2); console.log('ready', be.waitForThreads());
mm('t2');
