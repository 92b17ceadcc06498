/**
 * Imported first by main.ts, before any WebAssembly is compiled. Node 20 has WebAssembly
 * relaxed SIMD (the fused multiply-add the CPU backend's matmul and recurrent kernels use)
 * behind a V8 flag; Node 22 and browsers ship it. The benchmark turns the flag on, so the
 * backend's start-up detection picks the FMA kernels as it would on Node 22, unless
 * `--no-relaxed-simd` asks for the plain-SIMD kernels. V8 ignores the flag where it is unknown.
 */
import { setFlagsFromString } from 'node:v8';

export const relaxedSimdRequested = !process.argv.includes('--no-relaxed-simd');
if (relaxedSimdRequested) setFlagsFromString('--experimental-wasm-relaxed-simd');
