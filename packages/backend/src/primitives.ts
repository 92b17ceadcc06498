/**
 * The primitive vocabulary every backend implements. Everything else in Torchlet
 * (softmax, conv, norms, losses …) is composed from these above the backends, unless
 * a backend declares a fused kernel for it (see `fused.ts`).
 */

/** Elementwise unary ops. Input and output share a dtype unless noted. */
export const UNARY_OPS = [
  'neg', 'abs', 'sign', 'reciprocal', 'square',
  'exp', 'expm1', 'log', 'log1p', 'log2', 'sqrt', 'rsqrt',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan',
  'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh',
  'sigmoid', 'relu', 'gelu', 'geluTanh', 'silu', 'erf', 'softplus',
  'floor', 'ceil', 'round', 'trunc',
  // bool output
  'logicalNot', 'isnan', 'isinf', 'isfinite',
] as const;
/** A unary primitive's name. */
export type UnaryOp = (typeof UNARY_OPS)[number];

/** Unary ops whose output dtype is bool whatever the input dtype. */
export const UNARY_BOOL_OUTPUT: ReadonlySet<UnaryOp> = new Set(['logicalNot', 'isnan', 'isinf', 'isfinite']);

/** Elementwise binary ops. Both inputs share a dtype; the output has it too, or bool for comparisons. */
export const BINARY_OPS = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2',
  /** Python/PyTorch `remainder`: result has the sign of the divisor. */
  'remainder',
  /** `torch.div(a, b, rounding_mode='floor')`. */
  'floorDivide',
  // bool output
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor',
] as const;
/** A binary primitive's name. */
export type BinaryOp = (typeof BINARY_OPS)[number];

/** Binary ops whose output dtype is bool (comparisons and logical ops). */
export const BINARY_BOOL_OUTPUT: ReadonlySet<BinaryOp> = new Set([
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor',
]);

/** Reductions over a set of axes. `max`/`min` of NaN propagate NaN as PyTorch does. */
export const REDUCE_OPS = ['sum', 'prod', 'max', 'min'] as const;
/** A reduction's name. */
export type ReduceOp = (typeof REDUCE_OPS)[number];

/** Arg-reductions: the int32 index of the first max/min along an axis. */
export const ARG_REDUCE_OPS = ['argmax', 'argmin'] as const;
/** An arg-reduction's name. */
export type ArgReduceOp = (typeof ARG_REDUCE_OPS)[number];

/** Inclusive scans along an axis. */
export const SCAN_OPS = ['cumsum', 'cumprod', 'cummax', 'cummin'] as const;
/** A scan's name. */
export type ScanOp = (typeof SCAN_OPS)[number];

/** Counter-based random draws (Philox4x32-10); see `philox.ts` for the element→counter mapping. */
export type RandomKind = 'uniform' | 'normal' | 'bernoulli';
