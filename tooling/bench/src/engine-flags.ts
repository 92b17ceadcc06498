/**
 * Imported first by main.ts, before any WebAssembly is compiled. Node 20 has WebAssembly
 * relaxed SIMD (the fused multiply-add the CPU backend's matmul and recurrent kernels use)
 * behind a V8 flag; Node 22+ and browsers ship it and V8 no longer knows the flag (setting it
 * prints "unrecognized flag"). So the flag is set only where relaxed SIMD is missing without
 * it, and the backend's start-up detection picks the FMA kernels as on Node 22, unless
 * `--no-relaxed-simd` asks for the plain-SIMD kernels, which only Node 20 can give.
 */
import { setFlagsFromString } from 'node:v8';

const zeros = (): number[] => [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
// (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))
const body = [0x00, ...zeros(), ...zeros(), ...zeros(), 0xfd, 0x85, 0x02, 0x0b];
const RELAXED_PROBE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // \0asm, version 1
  ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b], // type section: () -> v128
  ...[0x03, 0x02, 0x01, 0x00], // function section
  ...[0x0a, body.length + 2, 0x01, body.length, ...body], // code section
]);

const hasRelaxedSimd = (): boolean => WebAssembly.validate(RELAXED_PROBE);

/** Relaxed SIMD is on without any flag (Node 22+): `--no-relaxed-simd` cannot turn it off. */
export const relaxedSimdBuiltIn = hasRelaxedSimd();
export const relaxedSimdRequested = !process.argv.includes('--no-relaxed-simd');
if (relaxedSimdRequested && !relaxedSimdBuiltIn) setFlagsFromString('--experimental-wasm-relaxed-simd');
