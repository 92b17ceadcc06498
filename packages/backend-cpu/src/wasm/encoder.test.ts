import { describe, expect, it } from 'vitest';
import { F32, I32, ModuleBuilder, V128 } from './encoder.js';
import { relaxedProbe, simdProbe, wasmFeatures } from './features.js';
import { buildKernelModule } from './kernel-module.js';

function instantiate(m: ModuleBuilder, imports: WebAssembly.Imports = {}): Record<string, any> {
  return new WebAssembly.Instance(new WebAssembly.Module(m.encode()), imports).exports as Record<string, any>;
}

describe('wasm encoder', () => {
  it('encodes a scalar function that validates and runs', () => {
    const m = new ModuleBuilder();
    const f = m.func([I32, I32], [I32], 'addmul');
    const [a, b] = f.params;
    f.code.get(a!).get(b!).op('i32.add').i32(-3).op('i32.mul');
    expect(WebAssembly.validate(m.encode())).toBe(true);
    expect(instantiate(m).addmul(2, 5)).toBe(-21);
  });

  it('encodes large and negative LEB128 constants', () => {
    const m = new ModuleBuilder();
    for (const [i, v] of [0, 63, 64, -64, -65, 1 << 20, -(2 ** 31), 2 ** 31 - 1].entries()) {
      m.func([], [I32], `c${i}`).code.i32(v);
    }
    const e = instantiate(m);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => e[`c${i}`]())).toEqual([0, 63, 64, -64, -65, 1 << 20, -(2 ** 31), 2 ** 31 - 1]);
  });

  it('encodes loops, locals, memory access and SIMD over an imported memory', () => {
    const m = new ModuleBuilder();
    m.importMemory({ module: 'env', name: 'memory', initial: 1 });
    const f = m.func([I32, I32], [F32], 'sum4');
    const [ptr, n] = f.params;
    const acc = f.local(V128);
    const i = f.local(I32);
    const c = f.code;
    c.i32(0).set(i);
    c.while(
      () => c.get(i).get(n!).op('i32.lt_s'),
      () => {
        c.get(acc).get(ptr!).mem('v128.load').op('f32x4.add').set(acc);
        c.inc(ptr!, 16).inc(i, 4);
      },
    );
    c.get(acc).lane('f32x4.extract_lane', 0).get(acc).lane('f32x4.extract_lane', 3).op('f32.add');
    const memory = new WebAssembly.Memory({ initial: 1 });
    const data = new Float32Array(memory.buffer, 0, 8);
    data.set([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(instantiate(m, { env: { memory } }).sum4(0, 8)).toBe(1 + 5 + 4 + 8);
  });

  it('detects SIMD support and validates the probes accordingly', () => {
    const features = wasmFeatures();
    const simd = new ModuleBuilder();
    simdProbe(simd);
    expect(WebAssembly.validate(simd.encode())).toBe(features.simd);
    const relaxed = new ModuleBuilder();
    relaxedProbe(relaxed);
    expect(WebAssembly.validate(relaxed.encode())).toBe(features.relaxedSimd);
  });

  it('generates a kernel module that validates (shared and unshared memory)', () => {
    for (const sharedMemory of [false, true]) {
      const km = buildKernelModule({ relaxedSimd: false, sharedMemory, maximumPages: 1024 });
      expect(() => new WebAssembly.Module(km.bytes)).not.toThrow();
      expect(km.exports).toContain('mm_compute');
      expect(km.exports).toContain('un_tanh');
    }
  });
});
