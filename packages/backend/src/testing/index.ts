export { runConformanceSuite } from './conformance.js';
export type { ConformanceOptions, ConformanceTolerances, FloatTolerance } from './options.js';
export {
  assertClose,
  assertEqual,
  broadcastStrides,
  broadcastValues,
  BufferScope,
  f16BitsToF32,
  f32ToF16Bits,
  makeView,
  readBuffer,
  readView,
  roundHalfEven,
  roundToDType,
  seededValues,
  stridedValues,
  uploadBuffer,
} from './helpers.js';
export type { CloseOptions, Layout, Operand } from './helpers.js';
export { binaryRef, castRef, erf, floorDivideRef, remainderRef, unaryRef } from './reference.js';
