/**
 * @torchlet/optim — optimizers, learning-rate schedulers and early stopping, as `torch.optim`.
 */
export { Optimizer, camelToSnake, checkBetas, checkNonNegative, snakeToCamel } from './optimizer.js';
export type {
  BaseOptions,
  OptimizerStateDict,
  ParamGroup,
  ParamGroupInput,
  ParamState,
  Params,
  StateDictGroup,
  ZeroGradOptions,
} from './optimizer.js';
export { RowSparseTensor, addRows_, addRowsDef, isRowSparse } from './sparse.js';
export type { RowSparseGrad } from './sparse.js';
export { adagradStep_, adagradStepDef, adamStep_, adamStepDef, rmspropStep_, rmspropStepDef, sgdStep_, sgdStepDef } from './updates.js';
export type { AdagradStepOptions, AdamStepOptions, RmspropStepOptions, SgdStepOptions } from './updates.js';
export { SGD, SGD_DEFAULTS, sgdSparseUpdate } from './optimizers/sgd.js';
export type { SGDOptions } from './optimizers/sgd.js';
export { ADAM_DEFAULTS, Adam, AdamW } from './optimizers/adam.js';
export type { AdamOptions } from './optimizers/adam.js';
export { RMSPROP_DEFAULTS, RMSprop } from './optimizers/rmsprop.js';
export type { RMSpropOptions } from './optimizers/rmsprop.js';
export { ADAGRAD_DEFAULTS, Adagrad, adagradSparseUpdate, coalesceRows } from './optimizers/adagrad.js';
export type { AdagradOptions } from './optimizers/adagrad.js';
export { SPARSE_ADAM_DEFAULTS, SparseAdam } from './optimizers/sparse-adam.js';
export type { SparseAdamOptions } from './optimizers/sparse-adam.js';
export * from './schedulers/index.js';
export * as lrScheduler from './schedulers/index.js';
export { EarlyStopping } from './early-stopping.js';
export type { EarlyStoppingOptions, EarlyStoppingStateDict, WeightsSource } from './early-stopping.js';
export { version } from './version.js';
