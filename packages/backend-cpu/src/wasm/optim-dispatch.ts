/**
 * Routes the fused optimizer updates to the Wasm SIMD kernels (optim-kernels.ts) when every
 * view is a contiguous float32 view in the heap; false otherwise, and the backend runs the
 * TypeScript kernel (../kernels/optim.ts), which also takes float64. The arguments are
 * checked by the TypeScript kernel's own checks and the scalars come from the same functions,
 * so both kernels compute the same thing. Large parameters are cut into element ranges that
 * the thread pool shares out.
 */
import type { AdagradStepOptions, AdamStepOptions, FusedKernels, RmspropStepOptions, SgdStepOptions, TensorView } from '@torchlet/backend';
import { CpuBuffer } from '../buffer.js';
import {
  adagradScalars,
  adamScalars,
  adamViews,
  numelOf,
  optimSteps,
  rmspropScalars,
  rmspropViews,
  sgdScalars,
  sgdViews,
  stepViews,
} from '../kernels/optim.js';
import { ADAGRAD_BLOCK, ADAM_BLOCK, blockWords, RMSPROP_BLOCK, SGD_BLOCK, type OptimBlock } from './optim-kernels.js';
import type { WasmRuntime } from './runtime.js';

/** Elements below which an update stays on one thread (it is memory-bound: a few loads and stores per element). */
const PARALLEL_MIN = 1 << 16;

/** Byte address of a live float32 view in this heap (0 for an absent one), or -1. */
function addr(rt: WasmRuntime, v: TensorView | null): number {
  if (v === null) return 0;
  const b = v.buffer;
  if (v.dtype !== 'float32' || !(b instanceof CpuBuffer) || b.runtime !== rt || b.freed) return -1;
  return b.ptr + v.offset * 4;
}

/**
 * Writes the parameter block (addresses of `views` in `block.ptrs` order, then `scalars`'
 * flags and floats), runs kernel `name` over the `n` elements and frees the block. False
 * when a view is not in the heap.
 */
function run(rt: WasmRuntime, name: string, block: OptimBlock, views: readonly (TensorView | null)[], scalars: object, n: number): boolean {
  const ptrs = views.map((v) => addr(rt, v));
  if (ptrs.some((p) => p < 0)) return false;
  const ints = new Int32Array(blockWords(block));
  const floats = new Float32Array(ints.buffer);
  const s = scalars as Record<string, number | boolean>;
  ptrs.forEach((p, i) => (ints[i] = p));
  let w = ptrs.length;
  for (const f of block.flags) ints[w++] = s[f] ? 1 : 0;
  for (const f of block.floats) floats[w++] = s[f] as number;
  // Ranges of whole 64-byte lines, so threads never share one.
  rt.runBlock(name, ints, n, rt.parallelism > 1 && n >= PARALLEL_MIN ? rt.parallelism : 1, 16);
  return true;
}

export function sgdStep(rt: WasmRuntime, param: TensorView, grad: TensorView, buf: TensorView | null, o: SgdStepOptions): boolean {
  if (!sgdViews(param, grad, buf, o)) return false;
  return run(rt, 'opt_sgd', SGD_BLOCK, [param, grad, buf], sgdScalars(o, Math.fround), numelOf(param));
}

export function adamStep(
  rt: WasmRuntime,
  param: TensorView,
  grad: TensorView,
  expAvg: TensorView,
  expAvgSq: TensorView,
  maxExpAvgSq: TensorView | null,
  o: AdamStepOptions,
): boolean {
  if (!adamViews(param, grad, expAvg, expAvgSq, maxExpAvgSq, o)) return false;
  return run(rt, 'opt_adam', ADAM_BLOCK, [param, grad, expAvg, expAvgSq, maxExpAvgSq], adamScalars(o, Math.fround), numelOf(param));
}

export function rmspropStep(
  rt: WasmRuntime,
  param: TensorView,
  grad: TensorView,
  squareAvg: TensorView,
  gradAvg: TensorView | null,
  momentumBuffer: TensorView | null,
  o: RmspropStepOptions,
): boolean {
  if (!rmspropViews(param, grad, squareAvg, gradAvg, momentumBuffer, o)) return false;
  return run(rt, 'opt_rmsprop', RMSPROP_BLOCK, [param, grad, squareAvg, gradAvg, momentumBuffer], rmspropScalars(o, Math.fround), numelOf(param));
}

export function adagradStep(rt: WasmRuntime, param: TensorView, grad: TensorView, sum: TensorView, o: AdagradStepOptions): boolean {
  if (!stepViews('adagradStep', param, [grad, sum])) return false;
  return run(rt, 'opt_adagrad', ADAGRAD_BLOCK, [param, grad, sum], adagradScalars(o, Math.fround), numelOf(param));
}

/** The backend's `fused` entries with the Wasm kernels: each tries Wasm, then the TypeScript kernel. */
export function wasmOptimSteps(rt: WasmRuntime): Pick<FusedKernels, 'sgdStep' | 'adamStep' | 'rmspropStep' | 'adagradStep'> {
  return {
    sgdStep: (...a) => sgdStep(rt, ...a) || optimSteps.sgdStep(...a),
    adamStep: (...a) => adamStep(rt, ...a) || optimSteps.adamStep(...a),
    rmspropStep: (...a) => rmspropStep(rt, ...a) || optimSteps.rmspropStep(...a),
    adagradStep: (...a) => adagradStep(rt, ...a) || optimSteps.adagradStep(...a),
  };
}
