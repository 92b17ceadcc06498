/** Learning-rate schedulers (`torch.optim.lr_scheduler`). */
export { LRScheduler, bisectRight, perGroup } from './lr-scheduler.js';
export type { AnyOptimizer, Scheduler, SchedulerStateDict } from './lr-scheduler.js';
export { MultiStepLR, StepLR } from './step.js';
export type { StepLROptions } from './step.js';
export { ConstantLR, LinearLR, PolynomialLR } from './linear.js';
export type { ConstantLROptions, LinearLROptions, PolynomialLROptions } from './linear.js';
export { ExponentialLR } from './exponential.js';
export { LambdaLR, MultiplicativeLR } from './lambda.js';
export type { LrLambda } from './lambda.js';
export { CosineAnnealingLR, CosineAnnealingWarmRestarts } from './cosine.js';
export type { CosineAnnealingLROptions, CosineAnnealingWarmRestartsOptions } from './cosine.js';
export { OneCycleLR } from './one-cycle.js';
export type { OneCycleLROptions } from './one-cycle.js';
export { ReduceLROnPlateau } from './plateau.js';
export type { ReduceLROnPlateauOptions } from './plateau.js';
export { ChainedScheduler, SequentialLR } from './sequential.js';
