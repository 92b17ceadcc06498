/**
 * @torchlet/autograd — importing it installs graph recording in the tensor core's
 * interceptor chain and makes `requiresGrad`, `.grad` and `backward()` work.
 */
import { addInterceptor, setAutogradBridge } from '@torchlet/tensor';
import './derivatives/index.js';
import { backward, grad } from './engine.js';
import { Function, FunctionCtx } from './function.js';
import { gradcheck, gradgradcheck } from './gradcheck.js';
import { release, registerHook, retainGrad, retainsGrad } from './methods.js';
import {
  detectAnomaly,
  enableGrad,
  inferenceMode,
  isAnomalyEnabled,
  isGradEnabled,
  isInferenceModeEnabled,
  noGrad,
  setDetectAnomaly,
  setGradEnabled,
} from './mode.js';
import { autogradInterceptor } from './record.js';
import { logaddexp } from './functions/logaddexp.js';

/** Installs autograd in the tensor core (done on import; idempotent). */
export function installAutograd(): void {
  setAutogradBridge({
    backward: (t, gradient, options) => backward(t, gradient ?? null, options),
    release,
    retainGrad,
    retainsGrad,
    registerHook,
  });
  addInterceptor(autogradInterceptor);
}

installAutograd();

export { backward, grad, sumToShape } from './engine.js';
export type { BackwardOptions, GradOptions } from './engine.js';
export { Function, FunctionCtx } from './function.js';
export { gradcheck, gradcheckOp, gradgradcheck, recordedOps } from './gradcheck.js';
export type { GradcheckOptions, GradgradcheckOptions } from './gradcheck.js';
export {
  detectAnomaly,
  enableGrad,
  inferenceMode,
  isAnomalyEnabled,
  isGradEnabled,
  isInferenceModeEnabled,
  noGrad,
  setDetectAnomaly,
  setGradEnabled,
} from './mode.js';
export { backwardName, defineDerivatives, derivativeNames, getDerivative } from './derivatives/index.js';
export type { Derivative, SaveSpec } from './derivatives/index.js';
export type { BackwardContext, TensorInfo } from './graph.js';
export { logaddexp } from './functions/logaddexp.js';
export { RowSparseTensor, addGradients, denseGrad, isRowSparse } from './sparse.js';
export type { Layout, RowSparseGrad } from './sparse.js';

/** PyTorch-shaped namespace: `autograd.grad`, `autograd.Function`, `autograd.gradcheck` … */
export const autograd = {
  /** `torch.autograd.backward`. */
  backward,
  /** `torch.autograd.grad`. */
  grad,
  /** `torch.autograd.Function`. */
  Function,
  /** The context of `autograd.Function` (PyTorch's `ctx`). */
  FunctionCtx,
  /** `torch.autograd.gradcheck`. */
  gradcheck,
  /** `torch.autograd.gradgradcheck`. */
  gradgradcheck,
  /** `torch.autograd.detect_anomaly`. */
  detectAnomaly,
  /** `torch.autograd.set_detect_anomaly`. */
  setDetectAnomaly,
  /** `torch.is_anomaly_enabled`. */
  isAnomalyEnabled,
  /** `torch.no_grad`. */
  noGrad,
  /** `torch.enable_grad`. */
  enableGrad,
  /** `torch.inference_mode`. */
  inferenceMode,
  /** `torch.is_grad_enabled`. */
  isGradEnabled,
  /** `torch.is_inference_mode_enabled`. */
  isInferenceModeEnabled,
  /** `torch.set_grad_enabled`. */
  setGradEnabled,
  /** `torch.logaddexp`, differentiable. */
  logaddexp,
} as const;
export { version } from './version.js';
