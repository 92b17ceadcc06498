/**
 * `torchlet` — PyTorch's namespace for TypeScript:
 *
 * ```ts
 * import * as torch from 'torchlet';
 * const model = new torch.nn.Sequential(new torch.nn.Linear(4, 8), new torch.nn.ReLU(), new torch.nn.Linear(8, 3));
 * const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
 * const loss = torch.nn.functional.crossEntropy(model.call(x), y);
 * loss.backward(); opt.step();
 * ```
 *
 * Tensor functions sit at the top level as in PyTorch (`torch.zeros`, `torch.matmul`,
 * `torch.noGrad`), the rest under `nn`, `optim`, `utils.data`, `autograd`, `io` and `train`
 * (`torch.train.fit`, Keras's `model.fit` loop).
 */
export * from '@torchlet/tensor';
export {
  autograd,
  enableGrad,
  grad,
  inferenceMode,
  isGradEnabled,
  noGrad,
  setDetectAnomaly,
  detectAnomaly,
  setGradEnabled,
  gradcheck,
  gradgradcheck,
} from '@torchlet/autograd';
export * as nn from '@torchlet/nn';
export * as optim from '@torchlet/optim';
export * as train from '@torchlet/train';
export * as io from './io.js';
export { load, save } from '@torchlet/io';
export * as utils from './utils.js';
export { setNumThreads, getNumThreads, whenThreadsReady } from './threads.js';
export * as webgpu from './webgpu.js';
// torch.version: this package's version, for bug reports (each @torchlet/* package exports its own)
export { version } from './version.js';
