// Importing the tensor core registers the CPU backend, the embedded default.
import '@torchlet/backend-cpu';
import { setTensorCheck } from './memory/lifetime.js';
import { Tensor } from './core/tensor.js';

setTensorCheck((v) => v instanceof Tensor);

export type { DType, DeviceName, HostArray } from '@torchlet/backend';

// ---- core ----
export { Tensor, setAutogradBridge } from './core/tensor.js';
export type { AutogradBridge, GradFn } from './core/tensor.js';
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
// @views-exports (helper: views, shape, indexing, in-place)
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
