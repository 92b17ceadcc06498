// Importing the tensor core registers the CPU backend, the embedded default.
import '@torchlet/backend-cpu';
import { setTensorCheck } from './memory/lifetime.js';
import { Tensor } from './core/tensor.js';
import { installTensorMethods } from './methods.js';

setTensorCheck((v) => v instanceof Tensor);
installTensorMethods();

export type { DType, DeviceName, HostArray } from '@torchlet/backend';

// ---- core ----
export { Tensor, setAutogradBridge } from './core/tensor.js';
export type { AutogradBridge, GradFn, GradHook, RemovableHandle } from './core/tensor.js';
export {
  DTypeError,
  DeviceError,
  IndexError,
  RuntimeError,
  ShapeError,
  TorchletError,
  ValueError,
  fmtShape,
} from './core/errors.js';
export { broadcastShapes, normalizeDim, normalizeDims, numelOf, shapesEqual } from './core/shape.js';
export type { Shape } from './core/shape.js';
export { resultType, scalarDType } from './core/promotion.js';
export type { Operand, Scalar } from './core/promotion.js';
export { allocTensor, fromHost, viewOf } from './core/factory.js';

// ---- dispatch ----
export { addInterceptor, call1, dispatch, interceptors } from './dispatch/dispatch.js';
export type { Interceptor, OpCall } from './dispatch/dispatch.js';
export { getOp, listOps, registerOp } from './dispatch/registry.js';
export type { OpDef, OpKind, OpOutput } from './dispatch/registry.js';

// ---- memory ----
export { keep, memoryStats, tidy } from './memory/lifetime.js';
export type { MemoryStats } from './memory/lifetime.js';

// ---- creation ----
export { fromTypedArray, isTensor, tensor } from './creation/from-data.js';
export type { CreateOptions, NestedArray, TensorData, TensorOptions } from './creation/from-data.js';
export { arange, empty, emptyLike, eye, full, fullLike, linspace, ones, onesLike, zeros, zerosLike } from './creation/filled.js';

// ---- ops ----
export * from './ops/elementwise.js';
export { alias, cast, clone, contiguous, detach, to, toAsync, toDevice } from './ops/conversion.js';
export type { ToOptions } from './ops/conversion.js';
export { formatTensor } from './format/format.js';
export {
  computeStride, diagonal, expand, expandAs, flatten, mT, movedim, narrow, normalizeSlice, permute, reshape, reshapeAs,
  select, slice, squeeze, t, transpose, unflatten, unsqueeze, view, viewAs,
} from './ops/views.js';
export type { ExpandAttrs, PermuteAttrs, SelectAttrs, SliceAttrs, ViewAttrs } from './ops/views.js';
export { canCast, checkWritable, copy_, torchDTypeName } from './ops/copy.js';
export {
  argwhere, gather, index, indexAdd, indexSelect, maskedFill, maskedSelect, maskedSelectAsync, nonzero, nonzeroAsync,
  oneHot, scatter, scatterAdd, setIndex,
} from './ops/indexing.js';
export type { IndexItem, NonzeroOptions, SliceSpec } from './ops/indexing.js';
export {
  cat, chunk, concat, diag, flip, fliplr, flipud, hstack, pad, repeat, repeatInterleave, roll, split, stack, tile, tril,
  triu, unbind, vstack,
} from './ops/shape-ops.js';
export type { PadOptions } from './ops/shape-ops.js';
export { argsort, kthvalue, msort, sort, topk, unique, uniqueAsync } from './ops/sorting.js';
export type { SortOptions, TopkOptions, UniqueOptions, UniqueResult } from './ops/sorting.js';
export {
  UNARY_INPLACE_OPS, add_, atan2_, clampMax_, clampMin_, clamp_, div_, fill_, floorDivide_, indexAdd_, maskedFill_, mul_,
  pow_, remainder_, scatterAdd_, scatter_, sub_, unaryInplace, zero_,
} from './ops/inplace.js';
// @views-exports (helper: views, shape, indexing, in-place)
export {
  all,
  amax,
  amin,
  any,
  argmax,
  argmin,
  countNonzero,
  cummax,
  cummin,
  cumprod,
  cumsum,
  logsumexp,
  max,
  mean,
  min,
  norm,
  prod,
  std,
  sum,
  var,
  variance,
  vectorNorm,
} from './ops/reduce.js';
export type { Dims, NormOptions, NormOrd, ReduceOptions, SumOptions, ValuesIndices, VarOptions, VectorNormOptions } from './ops/reduce.js';
export { addmm, addmv, baddbmm, bmm, cdist, dot, einsum, linalg, matmul, mm, mv, outer, tensordot } from './ops/linalg.js';
export type { AddmmOptions } from './ops/linalg.js';
export { logSoftmax, softmax } from './ops/softmax.js';
export type { SoftmaxOptions } from './ops/softmax.js';
export { addcdiv, addcmul, allclose, allcloseAsync, clamp, clampMax, clampMin, clip, equal, equalAsync, isclose, lerp } from './ops/math-misc.js';
export type { ClampBound, ClampOptions, IscloseOptions } from './ops/math-misc.js';
// @math-exports (helper: reductions, linalg, softmax, misc math)
export {
  DEFAULT_SEED,
  Generator,
  defaultGenerator,
  getRngState,
  initialSeed,
  manualSeed,
  seed,
  setRngState,
} from './random/generator.js';
export type { GeneratorState } from './random/generator.js';
export {
  bernoulli,
  multinomial,
  multinomialAsync,
  normal,
  rand,
  randLike,
  randint,
  randn,
  randnLike,
  randperm,
} from './random/sampling.js';
export type { MultinomialOptions, RandomOptions } from './random/sampling.js';
export { bernoulli_, normal_, uniform_ } from './random/inplace.js';
export type { FillOptions } from './random/inplace.js';
export * as testing from './testing/index.js';
// @random-exports (helper: RNG, random creation)
export { version } from './version.js';
