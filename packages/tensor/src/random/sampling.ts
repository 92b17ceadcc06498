/**
 * Random creation ops: `rand`, `randn`, `randint`, `randperm`, `normal`, `bernoulli`,
 * `multinomial` and the `*Like` forms. Each public function reserves its Philox blocks from
 * a generator on the host (`generator.advance`) and passes `seed`/`offset` to the op as
 * attrs, so an op call is a pure function of its inputs and attrs: replaying it redraws the
 * same values, on every device.
 *
 * All of these are registered `primitive` ops with `differentiable: false`: samples carry
 * no gradient (PyTorch's `normal(mean, std)` derivative is zero too).
 */
import { getBackend, isFloating, philoxBlocks, type DType, type DeviceName, type HostArray } from '@torchlet/backend';
import { DTypeError, DeviceError, RuntimeError, ValueError, fmtShape } from '../core/errors.js';
import { allocTensor, fromHost, hostFrom } from '../core/factory.js';
import { resultType, type Operand } from '../core/promotion.js';
import { broadcastShapes, checkShape, numelOf, type Shape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { CreateOptions } from '../creation/from-data.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import { broadcastView, castKernel, commonDevice, withTensors } from '../ops/common.js';
import { defaultGenerator, hostDoubleBlocks, hostDoubles, type Generator } from './generator.js';
import { affine, binaryScalar, castConsume, drawTensor, pipe, unaryKernel } from './kernels.js';

/** Options of the random creation functions (PyTorch's `dtype`, `device`, `generator`, `requires_grad`). */
export interface RandomOptions extends CreateOptions {
  /** The stream to draw from; the default generator when absent. */
  generator?: Generator;
}

/** Philox position of one draw, passed to every random op as attrs. */
interface DrawAttrs {
  seed: number;
  offset: number;
}

function reserve(generator: Generator | undefined, blocks: number): DrawAttrs {
  const gen = generator ?? defaultGenerator;
  const seed = gen.initialSeed();
  return { seed, offset: gen.advance(blocks) };
}

function sizes(shape: Shape | number, op: string): number[] {
  return checkShape(typeof shape === 'number' ? [shape] : shape, op);
}

function floatDType(options: CreateOptions, op: string): DType {
  const dtype = options.dtype ?? 'float32';
  if (!isFloating(dtype)) throw new DTypeError(`${op}: expected a floating point dtype, got ${dtype}`);
  return dtype;
}

function finish(t: Tensor, options: CreateOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

// ---- rand / randn --------------------------------------------------------------------------

interface CreationAttrs extends DrawAttrs {
  shape: Shape;
  dtype: DType;
  device: DeviceName;
}

const randDef = registerOp<CreationAttrs>({
  name: 'rand',
  kind: 'primitive',
  differentiable: false,
  forward: (_, { shape, dtype, device, seed, offset }) => drawTensor('uniform', shape, dtype, device, seed, offset),
});

interface RandnAttrs extends CreationAttrs {
  mean: number;
  std: number;
}

const randnDef = registerOp<RandnAttrs>({
  name: 'randn',
  kind: 'primitive',
  differentiable: false,
  forward: (_, { shape, dtype, device, seed, offset, mean, std }) =>
    pipe(drawTensor('normal', shape, dtype, device, seed, offset), (z) => affine(z, std, mean)),
});

/** `torch.rand(size)`: uniform on [0, 1). */
export function rand(shape: Shape | number, options: RandomOptions = {}): Tensor {
  const s = sizes(shape, 'rand');
  const dtype = floatDType(options, 'rand');
  const draw = reserve(options.generator, philoxBlocks('uniform', numelOf(s)));
  return finish(call1(randDef, [], { shape: s, dtype, device: options.device ?? 'cpu', ...draw }), options);
}

/** `torch.randn(size)`: standard normal. */
export function randn(shape: Shape | number, options: RandomOptions = {}): Tensor {
  return normalScalar(0, 1, sizes(shape, 'randn'), options, 'randn');
}

function normalScalar(mean: number, std: number, shape: number[], options: RandomOptions, op: string): Tensor {
  const dtype = floatDType(options, op);
  if (!(std >= 0)) throw new ValueError(`${op}: normal expects std >= 0.0, but found std ${std}`);
  const draw = reserve(options.generator, philoxBlocks('normal', numelOf(shape)));
  return finish(call1(randnDef, [], { shape, dtype, device: options.device ?? 'cpu', mean, std, ...draw }), options);
}

function likeOptions(x: Tensor, options: RandomOptions): RandomOptions {
  return { ...options, dtype: options.dtype ?? x.dtype, device: options.device ?? x.device };
}

/** `torch.rand_like(x)`: same shape, dtype and device as `x` unless overridden. */
export function randLike(x: Tensor, options: RandomOptions = {}): Tensor {
  return rand(x.shape, likeOptions(x, options));
}

/** `torch.randn_like(x)`. */
export function randnLike(x: Tensor, options: RandomOptions = {}): Tensor {
  return randn(x.shape, likeOptions(x, options));
}

// ---- normal ----------------------------------------------------------------------------------

interface NormalAttrs extends DrawAttrs {
  shape: Shape;
}

/** `mean + std · z` with tensor `mean` and `std` (same float dtype) broadcast to `shape`. */
const normalDef = registerOp<NormalAttrs>({
  name: 'normal',
  kind: 'primitive',
  differentiable: false,
  forward: ([mean, std], { shape, seed, offset }) => {
    const m = mean!;
    const s = std!;
    const backend = m.backend;
    return pipe(
      drawTensor('normal', shape, m.dtype, m.device, seed, offset),
      (z) => {
        const out = allocTensor(shape, z.dtype, z.device);
        backend.binary('mul', z.kernelView, broadcastView(s, shape), out.kernelView);
        return out;
      },
      (z) => {
        const out = allocTensor(shape, z.dtype, z.device);
        backend.binary('add', z.kernelView, broadcastView(m, shape), out.kernelView);
        return out;
      },
    );
  },
});

/**
 * `torch.normal`: `normal(mean, std, size)` with numbers, or `normal(mean, std)` where
 * either is a tensor (the result has their broadcast shape and float dtype). Negative
 * entries of a `std` tensor are not checked (it would need a device read).
 */
export function normal(mean: number, std: number, shape: Shape | number, options?: RandomOptions): Tensor;
export function normal(mean: Tensor | number, std: Tensor | number, options?: RandomOptions): Tensor;
export function normal(
  mean: Tensor | number,
  std: Tensor | number,
  shapeOrOptions?: Shape | number | RandomOptions,
  maybeOptions: RandomOptions = {},
): Tensor {
  const hasShape = typeof shapeOrOptions === 'number' || Array.isArray(shapeOrOptions);
  const options = (hasShape ? maybeOptions : (shapeOrOptions as RandomOptions | undefined)) ?? {};
  if (typeof mean === 'number' && typeof std === 'number') {
    if (!hasShape) throw new ValueError('normal: with number mean and std, a size is required: normal(mean, std, size)');
    return normalScalar(mean, std, sizes(shapeOrOptions as Shape | number, 'normal'), options, 'normal');
  }
  if (hasShape) throw new ValueError('normal: size is only accepted when mean and std are both numbers');
  if (typeof std === 'number' && !(std >= 0)) throw new ValueError(`normal: normal expects std >= 0.0, but found std ${std}`);
  const operands: Operand[] = [mean, std];
  const device = commonDevice(operands, 'normal');
  let dtype = options.dtype ?? resultType(mean, std);
  if (!isFloating(dtype)) {
    if (options.dtype) throw new DTypeError(`normal: expected a floating point dtype, got ${dtype}`);
    dtype = 'float32';
  }
  const shape = broadcastShapes(typeof mean === 'number' ? [] : mean.shape, typeof std === 'number' ? [] : std.shape, 'normal');
  return withTensors(operands, dtype, device, ([m, s]) => {
    const mc = castKernel(m!, dtype);
    const sc = castKernel(s!, dtype);
    try {
      const draw = reserve(options.generator, philoxBlocks('normal', numelOf(shape)));
      return finish(call1(normalDef, [mc, sc], { shape, ...draw }), options);
    } finally {
      if (mc !== m) mc.dispose();
      if (sc !== s) sc.dispose();
    }
  });
}

// ---- randint ---------------------------------------------------------------------------------

interface RandintAttrs extends CreationAttrs {
  low: number;
  high: number;
}

/**
 * `floor(low + u · (high − low))` from uniform draws, computed in float64 where the device
 * holds it (else float32, clamped to `high − 1` against rounding up).
 */
const randintDef = registerOp<RandintAttrs>({
  name: 'randint',
  kind: 'primitive',
  differentiable: false,
  forward: (_, { shape, dtype, device, seed, offset, low, high }) => {
    const work: DType = getBackend(device).dtypes.has('float64') ? 'float64' : 'float32';
    return pipe(
      drawTensor('uniform', shape, work, device, seed, offset),
      (u) => affine(u, high - low, low),
      (v) => unaryKernel('floor', v),
      (v) => binaryScalar('minimum', v, high - 1),
      (v) => castKernel(v, dtype),
    );
  },
});

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * `torch.randint(low, high, size)` / `randint(high, size)`: integers uniform in
 * [low, high), int32 unless `dtype` says otherwise (PyTorch's int64 is int32 here).
 */
export function randint(high: number, shape: Shape | number, options?: RandomOptions): Tensor;
export function randint(low: number, high: number, shape: Shape | number, options?: RandomOptions): Tensor;
export function randint(a: number, b: number | Shape, c?: Shape | number | RandomOptions, d?: RandomOptions): Tensor {
  let low = 0;
  let high: number;
  let shape: Shape | number;
  let options: RandomOptions;
  if (typeof b === 'number') {
    low = a;
    high = b;
    if (c === undefined || (typeof c === 'object' && !Array.isArray(c))) {
      throw new ValueError('randint: a size is required: randint(low, high, size) or randint(high, size)');
    }
    shape = c as Shape | number;
    options = d ?? {};
  } else {
    high = a;
    shape = b;
    options = (c as RandomOptions | undefined) ?? {};
  }
  if (!Number.isInteger(low) || !Number.isInteger(high)) throw new ValueError(`randint: low and high must be integers (got ${low}, ${high})`);
  if (low >= high) throw new ValueError(`randint: random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  if (low < INT32_MIN || high - 1 > INT32_MAX) throw new ValueError(`randint: [${low}, ${high}) does not fit in int32`);
  const s = sizes(shape, 'randint');
  const dtype = options.dtype ?? 'int32';
  if (dtype === 'bool') throw new DTypeError('randint: "random_" is not implemented for bool outputs; use bernoulli');
  const draw = reserve(options.generator, philoxBlocks('uniform', numelOf(s)));
  return finish(call1(randintDef, [], { shape: s, dtype, device: options.device ?? 'cpu', low, high, ...draw }), options);
}

// ---- randperm --------------------------------------------------------------------------------

interface RandpermAttrs extends DrawAttrs {
  n: number;
  dtype: DType;
  device: DeviceName;
}

/** Host Fisher–Yates with 53-bit draws (unbiased for any n), then one upload. */
const randpermDef = registerOp<RandpermAttrs>({
  name: 'randperm',
  kind: 'primitive',
  differentiable: false,
  forward: (_, { n, dtype, device, seed, offset }) => {
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    const u = new Float64Array(Math.max(0, n - 1));
    hostDoubles(seed, offset, u);
    for (let i = n - 1, k = 0; i > 0; i--, k++) {
      const j = Math.floor(u[k]! * (i + 1));
      const tmp = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = tmp;
    }
    return fromHost(dtype === 'int32' ? perm : hostFrom(perm, dtype), [n], dtype, device);
  },
});

/** `torch.randperm(n)`: a random permutation of 0..n−1 (int32), drawn on the host. */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`randperm: n must be a non-negative integer (got ${n})`);
  const dtype = options.dtype ?? 'int32';
  if (dtype === 'bool') throw new DTypeError('randperm: "randperm" is not implemented for bool');
  const draw = reserve(options.generator, hostDoubleBlocks(Math.max(0, n - 1)));
  return finish(call1(randpermDef, [], { n, dtype, device: options.device ?? 'cpu', ...draw }), options);
}

// ---- bernoulli -------------------------------------------------------------------------------

interface BernoulliAttrs extends DrawAttrs {
  dtype: DType;
}

/** Per-element probabilities: `u < p` with the uniform stream (so it equals the scalar form's draw). */
const bernoulliDef = registerOp<BernoulliAttrs>({
  name: 'bernoulli',
  kind: 'primitive',
  differentiable: false,
  forward: ([p], { dtype, seed, offset }) => {
    const probs = p!;
    return pipe(
      drawTensor('uniform', probs.shape, probs.dtype, probs.device, seed, offset),
      (u) => {
        const mask = allocTensor(probs.shape, 'bool', probs.device);
        probs.backend.binary('lt', u.kernelView, probs.kernelView, mask.kernelView);
        return mask;
      },
      (mask) => castKernel(mask, dtype),
    );
  },
});

interface BernoulliScalarAttrs extends CreationAttrs {
  p: number;
}

const bernoulliScalarDef = registerOp<BernoulliScalarAttrs>({
  name: 'bernoulliScalar',
  kind: 'primitive',
  differentiable: false,
  forward: (_, { shape, dtype, device, seed, offset, p }) => {
    if (dtype === 'bool' || isFloating(dtype)) return drawTensor('bernoulli', shape, dtype, device, seed, offset, p);
    return castConsume(drawTensor('bernoulli', shape, 'bool', device, seed, offset, p), dtype);
  },
});

function checkProbability(p: number, op: string): void {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`${op}: bernoulli expects p to be in [0, 1], but got p=${p}`);
}

/**
 * `torch.bernoulli(p)`: 1 with probability `p[i]`, else 0, in `p`'s dtype (float like
 * PyTorch), or `{ dtype: 'bool' }`. `bernoulli(p, size)` with a number draws `size`
 * samples of one probability. Probabilities outside [0, 1] in a tensor are not checked.
 */
export function bernoulli(p: Tensor, options?: RandomOptions): Tensor;
export function bernoulli(p: number, shape: Shape | number, options?: RandomOptions): Tensor;
export function bernoulli(p: Tensor | number, b?: Shape | number | RandomOptions, c: RandomOptions = {}): Tensor {
  if (typeof p === 'number') {
    if (b === undefined || (typeof b === 'object' && !Array.isArray(b))) {
      throw new ValueError('bernoulli: with a number p, a size is required: bernoulli(p, size)');
    }
    checkProbability(p, 'bernoulli');
    const s = sizes(b as Shape | number, 'bernoulli');
    const dtype = c.dtype ?? 'float32';
    const draw = reserve(c.generator, philoxBlocks('bernoulli', numelOf(s)));
    return finish(call1(bernoulliScalarDef, [], { shape: s, dtype, device: c.device ?? 'cpu', p, ...draw }), c);
  }
  const options = (b as RandomOptions | undefined) ?? {};
  if (!isFloating(p.dtype)) throw new DTypeError(`bernoulli: expected a floating point probability tensor, got ${p.dtype}`);
  const dtype = options.dtype ?? p.dtype;
  if (options.device && options.device !== p.device) {
    throw new DeviceError(`bernoulli: the result is made on the probabilities' device ('${p.device}'); move p first`);
  }
  const draw = reserve(options.generator, philoxBlocks('uniform', p.numel()));
  return finish(call1(bernoulliDef, [p], { dtype, ...draw }), options);
}

// ---- multinomial -----------------------------------------------------------------------------

interface MultinomialAttrs extends DrawAttrs {
  numSamples: number;
  replacement: boolean;
  /** The probabilities read on the host already (from `multinomialAsync`); read synchronously otherwise. */
  host?: HostArray;
}

function sampleRows(probs: ArrayLike<number>, rows: number, cats: number, numSamples: number, replacement: boolean, seed: number, offset: number): Int32Array {
  const out = new Int32Array(rows * numSamples);
  const u = new Float64Array(rows * (replacement ? numSamples : cats));
  hostDoubles(seed, offset, u);
  const cum = new Float64Array(cats);
  const keys = new Float64Array(cats);
  const order = new Int32Array(cats);
  for (let r = 0; r < rows; r++) {
    const base = r * cats;
    let total = 0;
    let positive = 0;
    for (let c = 0; c < cats; c++) {
      const v = probs[base + c]!;
      if (!(v >= 0) || !Number.isFinite(v)) {
        throw new RuntimeError('multinomial: probability tensor contains either `inf`, `nan` or element < 0');
      }
      total += v;
      cum[c] = total;
      if (v > 0) positive++;
    }
    if (!(total > 0)) throw new RuntimeError('multinomial: invalid multinomial distribution (sum of probabilities <= 0)');
    if (replacement) {
      for (let k = 0; k < numSamples; k++) {
        const target = u[r * numSamples + k]! * total;
        // First category whose cumulative sum exceeds the target (zero-probability ones never do).
        let lo = 0;
        let hi = cats - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cum[mid]! > target) hi = mid;
          else lo = mid + 1;
        }
        out[r * numSamples + k] = lo;
      }
    } else {
      if (numSamples > positive) {
        throw new RuntimeError('multinomial: invalid multinomial distribution (with replacement=False, not enough non-negative category to sample)');
      }
      // Exponential races: key = log(u) / p; the k largest keys are a draw of k categories
      // without replacement, in the order sequential sampling would give them.
      for (let c = 0; c < cats; c++) {
        const v = probs[base + c]!;
        keys[c] = v > 0 ? Math.log(1 - u[base + c]!) / v : -Infinity;
        order[c] = c;
      }
      order.sort((x, y) => keys[y]! - keys[x]! || x - y);
      for (let k = 0; k < numSamples; k++) out[r * numSamples + k] = order[k]!;
    }
  }
  return out;
}

/** Host sampling on the probabilities, read synchronously unless `multinomialAsync` read them. */
const multinomialDef = registerOp<MultinomialAttrs>({
  name: 'multinomial',
  kind: 'primitive',
  differentiable: false,
  forward: ([p], { numSamples, replacement, seed, offset, host }) => {
    const probs = p!;
    let values: ArrayLike<number> | undefined = host;
    if (!values) {
      if (!probs.backend.canReadSync) {
        throw new DeviceError(`multinomial: tensors on '${probs.device}' cannot be read synchronously; use \`await multinomialAsync(...)\``);
      }
      values = probs.dataSync();
    }
    const rows = probs.ndim === 2 ? probs.shape[0]! : 1;
    const cats = probs.shape[probs.ndim - 1]!;
    const idx = sampleRows(values, rows, cats, numSamples, replacement, seed, offset);
    return fromHost(idx, probs.ndim === 2 ? [rows, numSamples] : [numSamples], 'int32', probs.device);
  },
});

/** Options of `multinomial`. */
export interface MultinomialOptions {
  /** Draw with replacement (default false: each category at most once per row). */
  replacement?: boolean;
  /** The stream to draw from (default: the default generator). */
  generator?: Generator;
}

function prepareMultinomial(probs: Tensor, numSamples: number, options: MultinomialOptions): { replacement: boolean; draw: DrawAttrs } {
  if (probs.ndim !== 1 && probs.ndim !== 2) throw new ValueError(`multinomial: prob_dist must be 1 or 2 dim (got shape ${fmtShape(probs.shape)})`);
  if (!isFloating(probs.dtype)) throw new DTypeError(`multinomial: only supports floating-point dtypes for input, got: ${probs.dtype}`);
  if (!Number.isInteger(numSamples) || numSamples <= 0) throw new ValueError(`multinomial: cannot sample n_sample <= 0 samples (got ${numSamples})`);
  const cats = probs.shape[probs.ndim - 1]!;
  const replacement = options.replacement ?? false;
  if (cats === 0) throw new ValueError('multinomial: number of categories cannot be zero');
  if (!replacement && numSamples > cats) {
    throw new ValueError(`multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement (${numSamples} > ${cats})`);
  }
  const rows = probs.ndim === 2 ? probs.shape[0]! : 1;
  const draw = reserve(options.generator, hostDoubleBlocks(rows * (replacement ? numSamples : cats)));
  return { replacement, draw };
}

/**
 * `torch.multinomial(probs, numSamples, replacement=False)`: category indices (int32) drawn
 * from each row of non-negative weights (1-D or 2-D, need not sum to 1). Sampling runs on
 * the host, on a synchronous read of `probs` (CPU); on devices that read asynchronously
 * use `multinomialAsync`.
 */
export function multinomial(probs: Tensor, numSamples: number, options: MultinomialOptions = {}): Tensor {
  const { replacement, draw } = prepareMultinomial(probs, numSamples, options);
  return call1(multinomialDef, [probs], { numSamples, replacement, ...draw });
}

/** `multinomial` for every device: reads the probabilities with `await probs.data()`. */
export async function multinomialAsync(probs: Tensor, numSamples: number, options: MultinomialOptions = {}): Promise<Tensor> {
  const host = await probs.data();
  const { replacement, draw } = prepareMultinomial(probs, numSamples, options);
  return call1(multinomialDef, [probs], { numSamples, replacement, host, ...draw });
}
