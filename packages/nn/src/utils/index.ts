/** `torch.nn.utils`. */
export { clipGradNorm_, clipGradValue_ } from './clip-grad.js';
export type { ClipGradNormOptions, ParamsLike } from './clip-grad.js';
export { parametersToVector, vectorToParameters } from './convert.js';
export * as rnn from '../recurrent/packed.js';
