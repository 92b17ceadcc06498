/** Fused softmax / log-softmax along an axis: one invocation per line, three passes over it. */
import type { TensorView } from '@torchlet/backend';
import type { GpuRuntime } from '../runtime.js';
import { lineKernel, lineMeta } from './reduce.js';

function check(op: string, x: TensorView, axis: number, out: TensorView): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= x.shape.length) throw new RangeError(`${op}: axis ${axis} is out of range for rank ${x.shape.length}`);
  if (x.dtype !== 'float32' || out.dtype !== 'float32') throw new TypeError(`${op}: webgpu supports float32 only, got ${x.dtype}`);
  if (out.shape.length !== x.shape.length || out.shape.some((d, i) => d !== x.shape[i])) throw new Error(`${op}: output must have the input shape`);
}

export function softmax(rt: GpuRuntime, x: TensorView, axis: number, out: TensorView, log: boolean): void {
  const op = log ? 'logSoftmax' : 'softmax';
  check(op, x, axis, out);
  const write = log ? 'out[p1 + j * os] = (v - mx) - lse;' : 'out[p1 + j * os] = t_exp(v - mx) / s;';
  const loop = `  var mx = -f_inf();
  var nan = false;
  for (var j = 0; j < n; j = j + 1) {
    let v = x[p0 + j * xs];
    if (is_nan(v)) { nan = true; } else { mx = max(mx, v); }
  }
  var s = 0.0;
  for (var j = 0; j < n; j = j + 1) { s = s + t_exp(x[p0 + j * xs] - mx); }
  let lse = t_log(s);
  for (var j = 0; j < n; j = j + 1) {
    let v = x[p0 + j * xs];
    if (nan) { out[p1 + j * os] = f_nan(); } else { ${write} }
  }`;
  lineKernel(rt, `fused.${op}.f32`, lineMeta(x, axis, out), x, out, loop);
}

export function logSoftmax(rt: GpuRuntime, x: TensorView, axis: number, out: TensorView): void {
  softmax(rt, x, axis, out, true);
}
