/**
 * The sliding-window machinery behind convolution and pooling: a host-built index of
 * `[K · L]` positions (K kernel offsets × L output positions) into the flattened padded
 * spatial dims, applied with one `indexSelect` (whose backward is one `indexAdd`, so the
 * gradient scatters back without any per-window work). Works for any number of spatial dims.
 */
import { ShapeError, ValueError, fromHost, type DeviceName, type Tensor } from '@torchlet/tensor';

/** Expands an int or tuple argument to `nd` values (PyTorch's `_single` / `_pair`). */
export function tuple(value: number | readonly number[], nd: number, name: string, op: string): number[] {
  const v = typeof value === 'number' ? new Array<number>(nd).fill(value) : [...value];
  if (v.length === 1 && nd > 1) return new Array<number>(nd).fill(v[0]!);
  if (v.length !== nd || v.some((x) => !Number.isInteger(x))) {
    throw new ValueError(`${op}: ${name} must be an integer or a list of ${nd} integers (got ${JSON.stringify(value)})`);
  }
  return v;
}

export interface WindowSpec {
  /** Padded spatial size. */
  padded: number[];
  kernel: number[];
  stride: number[];
  dilation: number[];
  /** Output spatial size. */
  out: number[];
}

/** Output size of one sliding dim: floor((n − d·(k − 1) − 1) / s) + 1 on the padded size. */
export function slidingOut(padded: number, k: number, s: number, d: number): number {
  return Math.floor((padded - d * (k - 1) - 1) / s) + 1;
}

const cache = new Map<string, Int32Array>();

/** The `[K · L]` window index (kernel offset major) into the row-major padded spatial block. */
export function windowIndex(spec: WindowSpec): Int32Array {
  const key = JSON.stringify(spec);
  const hit = cache.get(key);
  if (hit) return hit;
  const nd = spec.padded.length;
  const pstr = new Array<number>(nd);
  let acc = 1;
  for (let i = nd - 1; i >= 0; i--) {
    pstr[i] = acc;
    acc *= spec.padded[i]!;
  }
  const K = spec.kernel.reduce((a, b) => a * b, 1);
  const L = spec.out.reduce((a, b) => a * b, 1);
  // Offsets of each kernel tap and of each output window start.
  const kOff = new Int32Array(K);
  for (let k = 0; k < K; k++) {
    let rem = k;
    let off = 0;
    for (let i = nd - 1; i >= 0; i--) {
      const ki = rem % spec.kernel[i]!;
      rem = Math.floor(rem / spec.kernel[i]!);
      off += ki * spec.dilation[i]! * pstr[i]!;
    }
    kOff[k] = off;
  }
  const lOff = new Int32Array(L);
  for (let l = 0; l < L; l++) {
    let rem = l;
    let off = 0;
    for (let i = nd - 1; i >= 0; i--) {
      const li = rem % spec.out[i]!;
      rem = Math.floor(rem / spec.out[i]!);
      off += li * spec.stride[i]! * pstr[i]!;
    }
    lOff[l] = off;
  }
  const idx = new Int32Array(K * L);
  for (let k = 0; k < K; k++) for (let l = 0; l < L; l++) idx[k * L + l] = kOff[k]! + lOff[l]!;
  if (cache.size > 256) cache.clear();
  cache.set(key, idx);
  return idx;
}

export function windowIndexTensor(spec: WindowSpec, device: DeviceName): Tensor {
  const idx = windowIndex(spec);
  return fromHost(idx, [idx.length], 'int32', device);
}

/** Checks that an input has `nd` spatial dims (batched or not); returns whether it is batched. */
export function checkSpatialInput(op: string, x: Tensor, nd: number): boolean {
  if (x.ndim === nd + 2) return true;
  if (x.ndim === nd + 1) return false;
  throw new ShapeError(
    `Expected ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input to ${op}, but got input of size: ${`[${x.shape.join(', ')}]`}`,
  );
}
