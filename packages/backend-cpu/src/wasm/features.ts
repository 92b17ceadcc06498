/**
 * What the JavaScript engine offers, detected once by validating tiny generated modules:
 * 128-bit SIMD, relaxed SIMD (fused multiply-add), shared memory and worker threads.
 */
import { ModuleBuilder, V128 } from './encoder.js';

/** What the JavaScript engine offers the CPU backend (`wasmFeatures()`). */
export interface WasmFeatures {
  /** WebAssembly itself. */
  readonly wasm: boolean;
  /** 128-bit SIMD (the Wasm kernels need it). */
  readonly simd: boolean;
  /** Relaxed SIMD, for fused multiply-add (browsers, Node 22+; Node 20 with `--experimental-wasm-relaxed-simd`). */
  readonly relaxedSimd: boolean;
  /** Shared `WebAssembly.Memory` (needs `SharedArrayBuffer`; cross-origin isolation in browsers). */
  readonly sharedMemory: boolean;
}

function validates(build: (m: ModuleBuilder) => void): boolean {
  try {
    const m = new ModuleBuilder();
    build(m);
    return WebAssembly.validate(m.encode());
  } catch {
    return false;
  }
}

/** A module whose one function adds two v128s: valid only where SIMD is. */
export function simdProbe(m: ModuleBuilder): void {
  const f = m.func([V128, V128], [V128]);
  f.code.get(f.params[0]!).get(f.params[1]!).op('f32x4.add');
}

/** A module using `f32x4.relaxed_madd`: valid only where relaxed SIMD is. */
export function relaxedProbe(m: ModuleBuilder): void {
  const f = m.func([V128, V128, V128], [V128]);
  f.code.get(f.params[0]!).get(f.params[1]!).get(f.params[2]!).op('f32x4.relaxed_madd');
}

function detectShared(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  try {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return mem.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

let cached: WasmFeatures | undefined;

/** The engine's WebAssembly features, detected once by validating tiny generated modules. */
export function wasmFeatures(): WasmFeatures {
  if (cached === undefined) {
    const wasm = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
    const simd = wasm && validates(simdProbe);
    cached = {
      wasm,
      simd,
      relaxedSimd: simd && validates(relaxedProbe),
      sharedMemory: wasm && detectShared(),
    };
  }
  return cached;
}
