import { contiguousStrides, type TensorView } from '@torchlet/backend';
import v8 from 'node:v8';
import { it } from 'vitest';
import { CpuBuffer } from '../buffer.js';
import * as wasm from './dispatch.js';
import { wasmFeatures } from './features.js';
import { WasmRuntime } from './runtime.js';
function cpu() { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }
it('probe', () => {
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const geos = JSON.parse(process.env.GEOS ?? '[[4,64,256]]') as [number, number, number, number?][];
  const n = Number(process.env.N ?? 1024);
  for (const [MR, MC, KC, relaxed] of geos) {
    const rt = new WasmRuntime({ ...wasmFeatures(), relaxedSimd: !!relaxed }, 1, { MR, NR: 8, MC, KC });
    const view = (shape: number[]): TensorView => {
      const size = shape.reduce((a, b) => a * b, 1);
      const ptr = rt.heap.alloc(size * 4);
      const buffer = new CpuBuffer('float32', size, rt.view('float32', ptr, size), rt, ptr);
      const d = buffer.data; for (let i = 0; i < size; i++) d[i] = Math.sin(i * 0.37) * 2;
      return { buffer, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
    };
    const a = view([n, n]); const b = view([n, n]); const c = view([n, n]);
    const cs = [];
    for (let r = 0; r < 7; r++) { const c0 = cpu(); wasm.matmul(rt, a, b, c); cs.push(cpu() - c0); }
    cs.sort((x, y) => x - y);
    console.log(`geo MR=${MR} MC=${MC} KC=${KC} relaxed=${!!relaxed}: cpu ms min ${cs[0]!.toFixed(1)} med ${cs[3]!.toFixed(1)} → ${(2 * n ** 3 / cs[0]! / 1e6).toFixed(1)} GFLOP/s`);
  }
});
