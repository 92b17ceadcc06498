/**
 * `torch.nn.init`: in-place initialisers. Each runs without grad (so it may write parameters
 * that require grad), bumps the tensor's version and returns the tensor. Random draws use the
 * seeded global generator (or `{ generator }`).
 */
import { noGrad } from '@torchlet/autograd';
import {
  ValueError,
  copy_,
  eye,
  fill_,
  fromHost,
  mul_,
  normal_ as tensorNormal_,
  rand,
  randn,
  uniform_ as tensorUniform_,
  zero_,
  type Generator,
  type Tensor,
} from '@torchlet/tensor';

/** Options of the random initialisers. */
export interface InitOptions {
  /** The stream to draw from (default: the default generator). */
  generator?: Generator;
}

/** The nonlinearities `calculateGain` knows (PyTorch's names). */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/** `calculate_gain(nonlinearity, param=None)`: the recommended gain for a nonlinearity. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number | null): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param === null || param === undefined ? 0.01 : param;
      if (typeof slope !== 'number' || Number.isNaN(slope)) throw new ValueError(`negative_slope ${String(param)} not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError(`Unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

/** `_calculate_fan_in_and_fan_out(tensor)`: [fanIn, fanOut] of a weight of at least 2 dims. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new ValueError('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function fanOf(t: Tensor, mode: 'fan_in' | 'fan_out'): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new ValueError(`Mode ${String(mode)} not supported, please use one of fan_in, fan_out`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return mode === 'fan_in' ? fanIn : fanOut;
}

const noop = (t: Tensor): boolean => t.numel() === 0;

/** `uniform_(tensor, a=0, b=1)`. */
export function uniform_(t: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  if (noop(t)) return t;
  return noGrad(() => tensorUniform_(t, a, b, options));
}

/** `normal_(tensor, mean=0, std=1)`. */
export function normal_(t: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  if (noop(t)) return t;
  return noGrad(() => tensorNormal_(t, mean, std, options));
}

/** `constant_(tensor, val)`. */
export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => fill_(t, value));
}

/** `zeros_(tensor)`: fills with 0 in place, without recording a gradient. */
export function zeros_(t: Tensor): Tensor {
  return noGrad(() => zero_(t));
}

/** `ones_(tensor)`: fills with 1 in place, without recording a gradient. */
export function ones_(t: Tensor): Tensor {
  return noGrad(() => fill_(t, 1));
}

/** `eye_(tensor)`: the identity in a 2-D tensor. */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) throw new ValueError('Only tensors with 2 dimensions are supported');
  return noGrad(() => {
    const e = eye(t.shape[0]!, t.shape[1]!, { dtype: t.dtype, device: t.device });
    try {
      return copy_(t, e);
    } finally {
      e.dispose();
    }
  });
}

/** `dirac_(tensor, groups=1)`: identity-preserving conv weights (3-, 4- or 5-D). */
export function dirac_(t: Tensor, groups = 1): Tensor {
  if (t.ndim < 3 || t.ndim > 5) throw new ValueError('Only tensors with 3, 4, or 5 dimensions are supported');
  if (t.shape[0]! % groups !== 0) throw new ValueError('dim 0 must be divisible by groups');
  const outPerGroup = t.shape[0]! / groups;
  const minDim = Math.min(outPerGroup, t.shape[1]!);
  const host = new Float64Array(t.numel());
  const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  for (let g = 0; g < groups; g++) {
    for (let d = 0; d < minDim; d++) {
      let pos = (g * outPerGroup + d) * strides[0]! + d * strides[1]!;
      for (let i = 2; i < t.ndim; i++) pos += Math.floor(t.shape[i]! / 2) * strides[i]!;
      host[pos] = 1;
    }
  }
  return writeHost(t, host);
}

/** `xavier_uniform_(tensor, gain=1)`: U(−a, a), a = gain·sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  return uniform_(t, -a, a, options);
}

/** `xavier_normal_(tensor, gain=1)`: N(0, gain²·2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), options);
}

/** Options of `kaimingUniform_` / `kaimingNormal_`. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu only; default 0). */
  a?: number;
  /** Preserve the variance of the forward pass (`'fan_in'`, default) or of the backward pass (`'fan_out'`). */
  mode?: 'fan_in' | 'fan_out';
  /** The nonlinearity after this layer, for the gain (default `'leaky_relu'`). */
  nonlinearity?: Nonlinearity;
}

/** `kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu')`: U(−b, b), b = gain·sqrt(3 / fan). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  if (noop(t)) return t;
  const fan = fanOf(t, options.mode ?? 'fan_in');
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  const bound = Math.sqrt(3) * (gain / Math.sqrt(fan));
  return uniform_(t, -bound, bound, options);
}

/** `kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu')`: N(0, gain² / fan). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  if (noop(t)) return t;
  const fan = fanOf(t, options.mode ?? 'fan_in');
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(fan), options);
}

/** Writes host values (float64, row-major) into `t` without grad. */
function writeHost(t: Tensor, values: Float64Array): Tensor {
  return noGrad(() => {
    const src = fromHost(t.dtype === 'float64' ? values : Float32Array.from(values), t.shape, t.dtype === 'float64' ? 'float64' : 'float32', 'cpu');
    try {
      return copy_(t, src);
    } finally {
      src.dispose();
    }
  });
}

function hostDraw(kind: 'uniform' | 'normal', n: number, generator?: Generator): Float64Array {
  const t = kind === 'uniform' ? rand([n], { dtype: 'float64', generator }) : randn([n], { dtype: 'float64', generator });
  try {
    return t.dataSync() as Float64Array;
  } finally {
    t.dispose();
  }
}

/**
 * Householder QR of a row-major m×n matrix (m ≥ n): the reduced Q (m×n), with columns signed so
 * that R's diagonal is non-negative (the unique QR, as `q * sign(diag(r))` in PyTorch's orthogonal_).
 */
export function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const A = Float64Array.from(a);
  const vs: (Float64Array | null)[] = [];
  const rDiag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const len = m - k;
    const v = new Float64Array(len);
    let norm = 0;
    for (let i = 0; i < len; i++) {
      v[i] = A[(k + i) * n + k]!;
      norm += v[i]! * v[i]!;
    }
    norm = Math.sqrt(norm);
    if (norm === 0) {
      vs.push(null);
      rDiag[k] = 0;
      continue;
    }
    const alpha = v[0]! >= 0 ? -norm : norm;
    v[0] = v[0]! - alpha;
    let vn = 0;
    for (let i = 0; i < len; i++) vn += v[i]! * v[i]!;
    vn = Math.sqrt(vn);
    if (vn === 0) {
      vs.push(null);
      rDiag[k] = A[k * n + k]!;
      continue;
    }
    for (let i = 0; i < len; i++) v[i] = v[i]! / vn;
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < len; i++) dot += v[i]! * A[(k + i) * n + j]!;
      dot *= 2;
      for (let i = 0; i < len; i++) A[(k + i) * n + j] = A[(k + i) * n + j]! - v[i]! * dot;
    }
    vs.push(v);
    rDiag[k] = A[k * n + k]!;
  }
  const Q = new Float64Array(m * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    if (!v) continue;
    const len = m - k;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < len; i++) dot += v[i]! * Q[(k + i) * n + j]!;
      dot *= 2;
      if (dot === 0) continue;
      for (let i = 0; i < len; i++) Q[(k + i) * n + j] = Q[(k + i) * n + j]! - v[i]! * dot;
    }
  }
  for (let j = 0; j < n; j++) {
    if (rDiag[j]! < 0) for (let i = 0; i < m; i++) Q[i * n + j] = -Q[i * n + j]!;
  }
  return Q;
}

/**
 * `orthogonal_(tensor, gain=1)`: a (semi-)orthogonal matrix from the QR decomposition of a
 * normal draw (Householder on the host in float64), reshaped to the tensor.
 */
export function orthogonal_(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  if (t.ndim < 2) throw new ValueError('Only tensors with 2 or more dimensions are supported');
  if (noop(t)) return t;
  const rows = t.shape[0]!;
  const cols = t.numel() / rows;
  const draw = hostDraw('normal', rows * cols, options.generator);
  const transpose = rows < cols;
  const m = transpose ? cols : rows;
  const n = transpose ? rows : cols;
  let a = draw;
  if (transpose) {
    a = new Float64Array(m * n);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a[j * n + i] = draw[i * cols + j]!;
  }
  const q = householderQ(a, m, n);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * cols + j] = gain * (transpose ? q[j * n + i]! : q[i * cols + j]!);
  }
  return writeHost(t, out);
}

// ---- truncated normal ----------------------------------------------------------------------------

/** Accurate erf via its Taylor series (|x| < 3) or the continued fraction of erfc. */
function erfPrecise(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let sum = 0;
    let term = x;
    for (let n = 0; n < 200; n++) {
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
      term *= (-x * x) / (n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - erfcLarge(ax));
}

function erfcLarge(x: number): number {
  // Lentz continued fraction for erfc, x ≥ 3.
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 100; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = x + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
}

/** Inverse error function on (−1, 1): Giles' approximation plus two Newton steps. */
export function erfinv(y: number): number {
  if (y <= -1) return -Infinity;
  if (y >= 1) return Infinity;
  let w = -Math.log((1 - y) * (1 + y));
  let x: number;
  if (w < 5) {
    w -= 2.5;
    let p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
    x = p * y;
  } else {
    w = Math.sqrt(w) - 3;
    let p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
    x = p * y;
  }
  for (let i = 0; i < 2; i++) {
    const err = erfPrecise(x) - y;
    x -= err / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  }
  return x;
}


const normCdf = (x: number): number => (1 + erfPrecise(x / Math.SQRT2)) / 2;

/**
 * `trunc_normal_(tensor, mean=0, std=1, a=-2, b=2)`: N(mean, std²) restricted to [a, b], by
 * the inverse-CDF method PyTorch uses.
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, options: InitOptions = {}): Tensor {
  if (!(a < b)) throw new ValueError(`trunc_normal_: expected a < b (got a=${a}, b=${b})`);
  if (noop(t)) return t;
  const l = normCdf((a - mean) / std);
  const u = normCdf((b - mean) / std);
  const draw = hostDraw('uniform', t.numel(), options.generator);
  const out = new Float64Array(draw.length);
  for (let i = 0; i < draw.length; i++) {
    const y = 2 * l - 1 + draw[i]! * (2 * (u - l));
    const v = erfinv(y) * std * Math.SQRT2 + mean;
    out[i] = Math.min(Math.max(v, a), b);
  }
  return writeHost(t, out);
}

/** `sparse_(tensor, sparsity, std=0.01)`: a 2-D N(0, std) with a fraction of each column zeroed. */
export function sparse_(t: Tensor, sparsity: number, std = 0.01, options: InitOptions = {}): Tensor {
  if (t.ndim !== 2) throw new ValueError('Only tensors with 2 dimensions are supported');
  const [rows, cols] = t.shape as [number, number];
  const zerosPerCol = Math.ceil(sparsity * rows);
  const normal = hostDraw('normal', rows * cols, options.generator);
  const order = hostDraw('uniform', rows * cols, options.generator);
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    const idx = Array.from({ length: rows }, (_, i) => i).sort((p, q) => order[p * cols + j]! - order[q * cols + j]!);
    const zeroed = new Set(idx.slice(0, zerosPerCol));
    for (let i = 0; i < rows; i++) out[i * cols + j] = zeroed.has(i) ? 0 : normal[i * cols + j]! * std;
  }
  return writeHost(t, out);
}

/** Scales a tensor in place without grad (used by layers' reset helpers). */
export function scale_(t: Tensor, factor: number): Tensor {
  return noGrad(() => mul_(t, factor));
}
