export type { Backend, BackendBuffer, BackendMemoryStats, DeviceName, TensorView } from './backend.js';
export { DTYPES, DTYPE_INFO, hostArray, isDType, isFloating, promoteTypes } from './dtype.js';
export type { DType, DTypeInfo, HostArray } from './dtype.js';
export type { AdagradStepOptions, AdamStepOptions, FusedKernelName, FusedKernels, RmspropStepOptions, SgdStepOptions } from './fused.js';
export {
  ARG_REDUCE_OPS,
  BINARY_BOOL_OUTPUT,
  BINARY_OPS,
  REDUCE_OPS,
  SCAN_OPS,
  UNARY_BOOL_OUTPUT,
  UNARY_OPS,
} from './primitives.js';
export type { ArgReduceOp, BinaryOp, RandomKind, ReduceOp, ScanOp, UnaryOp } from './primitives.js';
export { normalFromBits, philoxBlock, philoxBlocks, philoxFill, splitSeed, uniformFromBits } from './philox.js';
export { getBackend, hasBackend, registerBackend, registeredBackends, unregisterBackend } from './registry.js';
export { Storage, storageStats } from './storage.js';
export { contiguousStrides, isContiguousView } from './layout.js';
export { version } from './version.js';
