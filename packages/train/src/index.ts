/**
 * @torchlet/train — `fit(model, { train, validation, loss, optimizer, epochs, metrics, callbacks })`:
 * Keras's `model.fit` loop over Torchlet's PyTorch-named modules, optimizers and data loaders,
 * with callbacks for a progress bar, early stopping, LR schedules, resumable checkpoints and a
 * CSV/JSON history log. `torch.train` in the umbrella package.
 */
export { History, evaluate, fit } from './fit.js';
export type { Batch, BatchSource, Callback, EvaluateOptions, FitCheckpoint, FitContext, FitOptions, Logs, LossFn } from './fit.js';
export { EarlyStoppingCallback, HistoryLogger, LRSchedulerCallback, ModelCheckpoint, ProgressBarCallback } from './callbacks.js';
export type { EarlyStoppingCallbackOptions, HistoryLoggerOptions, LRSchedulerCallbackOptions, ModelCheckpointOptions } from './callbacks.js';
export { BUILTIN_METRICS, accuracy, mae, mse } from './metrics.js';
export type { MetricFn, MetricValue } from './metrics.js';
export { version } from './version.js';
