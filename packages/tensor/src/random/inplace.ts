/**
 * In-place random fillers (`Tensor.uniform_`, `normal_`, `bernoulli_`), the basis of
 * `nn.init`. A float target is drawn into directly (strided views too: element i of a view
 * receives stream position i); a scaled or converted draw goes through a contiguous
 * temporary and is written with `assign`. Each bumps the storage's version
 * counter and returns the tensor itself, like PyTorch.
 */
import { isFloating, philoxBlocks, type DType, type RandomKind } from '@torchlet/backend';
import { DTypeError, DeviceError, RuntimeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { allocTensor } from '../core/factory.js';
import { Tensor } from '../core/tensor.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import { broadcastShapes, shapesEqual } from '../core/shape.js';
import { broadcastView, castKernel } from '../ops/common.js';
import { defaultGenerator, type Generator } from './generator.js';
import { affine, drawTensor, pipe } from './kernels.js';

/** Options of the in-place random fills (`uniform_`, `normal_`, `bernoulli_`). */
export interface FillOptions {
  /** The stream to draw from (default: the default generator). */
  generator?: Generator;
}

interface DrawAttrs {
  seed: number;
  offset: number;
}

function reserve(generator: Generator | undefined, kind: RandomKind, n: number): DrawAttrs {
  const gen = generator ?? defaultGenerator;
  return { seed: gen.initialSeed(), offset: gen.advance(philoxBlocks(kind, n)) };
}

/** PyTorch refuses in-place writes where several elements share one memory location. */
function checkWritable(x: Tensor, op: string): void {
  for (let i = 0; i < x.ndim; i++) {
    if (x.strides[i] === 0 && x.shape[i]! > 1) {
      throw new RuntimeError(
        `${op}: unsupported operation: more than one element of the written-to tensor refers to a single memory location. ` +
          'Please clone() the tensor before performing the operation.',
      );
    }
  }
}

/** Writes `src` (same shape) into `x`, converting dtype when needed; disposes `src`. */
function writeInto(x: Tensor, src: Tensor): void {
  const converted = castKernel(src, x.dtype);
  try {
    x.backend.assign(x.kernelView, converted.kernelView);
  } finally {
    if (converted !== src) converted.dispose();
    src.dispose();
  }
}

/**
 * Draws `kind` into `x`: directly (even into a strided view) when `map` is absent and the
 * dtypes agree, else through a contiguous temporary (of `work` dtype) that `map` transforms.
 */
function fill(x: Tensor, kind: RandomKind, work: DType, attrs: DrawAttrs, p: number | undefined, map?: (t: Tensor) => Tensor): void {
  if (x.numel() === 0) return;
  if (!map && work === x.dtype) {
    // The contract maps element i of a strided view to stream position i (row-major).
    x.backend.random(kind, x.kernelView, attrs.seed, attrs.offset, p);
  } else {
    const draw = drawTensor(kind, x.shape, work, x.device, attrs.seed, attrs.offset, p);
    writeInto(x, map ? pipe(draw, map) : draw);
  }
  x.storage.version++;
}

// ---- uniform_ --------------------------------------------------------------------------------

interface UniformAttrs extends DrawAttrs {
  from: number;
  to: number;
}

const uniformDef = registerOp<UniformAttrs>({
  name: 'uniform_',
  kind: 'primitive',
  differentiable: false,
  inplace: true,
  forward: ([x], attrs) => {
    const { from, to } = attrs;
    fill(x!, 'uniform', x!.dtype, attrs, undefined, from === 0 && to === 1 ? undefined : (u) => affine(u, to - from, from));
    return x!;
  },
});

function checkFloat(x: Tensor, op: string): void {
  if (!isFloating(x.dtype)) throw new DTypeError(`${op}: expected a floating point tensor, got ${x.dtype}`);
  checkWritable(x, op);
}

/** `tensor.uniform_(from=0, to=1)`: fills `x` in place with draws uniform on [from, to). */
export function uniform_(x: Tensor, from = 0, to = 1, options: FillOptions = {}): Tensor {
  checkFloat(x, 'uniform_');
  if (!(from <= to)) throw new ValueError(`uniform_: uniform_ expects to return a [from, to) range, but found from=${from} > to=${to}`);
  return call1(uniformDef, [x], { from, to, ...reserve(options.generator, 'uniform', x.numel()) });
}

// ---- normal_ ---------------------------------------------------------------------------------

interface NormalAttrs extends DrawAttrs {
  mean: number;
  std: number;
}

const normalDef = registerOp<NormalAttrs>({
  name: 'normal_',
  kind: 'primitive',
  differentiable: false,
  inplace: true,
  forward: ([x], attrs) => {
    const { mean, std } = attrs;
    fill(x!, 'normal', x!.dtype, attrs, undefined, mean === 0 && std === 1 ? undefined : (z) => affine(z, std, mean));
    return x!;
  },
});

/** `tensor.normal_(mean=0, std=1)`: fills `x` in place with normal draws. */
export function normal_(x: Tensor, mean = 0, std = 1, options: FillOptions = {}): Tensor {
  checkFloat(x, 'normal_');
  if (!(std >= 0)) throw new ValueError(`normal_: normal expects std >= 0.0, but found std ${std}`);
  return call1(normalDef, [x], { mean, std, ...reserve(options.generator, 'normal', x.numel()) });
}

// ---- bernoulli_ ------------------------------------------------------------------------------

interface BernoulliAttrs extends DrawAttrs {
  /** The probability when no probability tensor is passed as the second input. */
  p?: number;
}

/** Inputs `[x]` with `attrs.p`, or `[x, p]` with a probability tensor broadcast to `x`. */
const bernoulliDef = registerOp<BernoulliAttrs>({
  name: 'bernoulli_',
  kind: 'primitive',
  differentiable: false,
  inplace: true,
  forward: ([x, probs], attrs) => {
    const t = x!;
    if (probs) {
      fill(t, 'uniform', probs.dtype, attrs, undefined, (u) => {
        const mask = allocTensor(t.shape, 'bool', t.device);
        t.backend.binary('lt', u.kernelView, broadcastView(probs, t.shape), mask.kernelView);
        return mask;
      });
    } else {
      const work = isFloating(t.dtype) || t.dtype === 'bool' ? t.dtype : 'bool';
      fill(t, 'bernoulli', work, attrs, attrs.p);
    }
    return t;
  },
});

/**
 * `tensor.bernoulli_(p=0.5)`: each element becomes 1 with probability `p` (a number, or a
 * float tensor broadcastable to `x`), else 0. Works on any dtype.
 */
export function bernoulli_(x: Tensor, p: number | Tensor = 0.5, options: FillOptions = {}): Tensor {
  checkWritable(x, 'bernoulli_');
  const attrs = reserve(options.generator, 'bernoulli', x.numel());
  if (typeof p === 'number') {
    if (!(p >= 0 && p <= 1)) throw new ValueError(`bernoulli_: bernoulli_ expects p to be in [0, 1], but got p=${p}`);
    return call1(bernoulliDef, [x], { p, ...attrs });
  }
  if (!isFloating(p.dtype)) throw new DTypeError(`bernoulli_: expected a floating point probability tensor, got ${p.dtype}`);
  if (p.device !== x.device) {
    throw new DeviceError(`bernoulli_: Expected all tensors to be on the same device, but found at least two devices, ${x.device} and ${p.device}!`);
  }
  if (!shapesEqual(broadcastShapes(x.shape, p.shape, 'bernoulli_'), x.shape)) {
    throw new ShapeError(`bernoulli_: p of shape ${fmtShape(p.shape)} cannot be broadcast to self of shape ${fmtShape(x.shape)}`);
  }
  return call1(bernoulliDef, [x, p], attrs);
}

// ---- methods ---------------------------------------------------------------------------------

declare module '../core/tensor.js' {
  interface Tensor {
    /** `tensor.uniform_(from=0, to=1, *, generator)`. */
    uniform_(from?: number, to?: number, options?: FillOptions): this;
    /** `tensor.normal_(mean=0, std=1, *, generator)`. */
    normal_(mean?: number, std?: number, options?: FillOptions): this;
    /** `tensor.bernoulli_(p=0.5, *, generator)`. */
    bernoulli_(p?: number | Tensor, options?: FillOptions): this;
  }
}

/** Puts the random in-place methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installRandomMethods(): void {
  Tensor.prototype.uniform_ = function (from, to, options) {
    uniform_(this, from, to, options);
    return this;
  };
  Tensor.prototype.normal_ = function (mean, std, options) {
    normal_(this, mean, std, options);
    return this;
  };
  Tensor.prototype.bernoulli_ = function (p, options) {
    bernoulli_(this, p, options);
    return this;
  };
}
