/** `torch.nn.functional` for Torchlet (`import { functional as F } from '@torchlet/nn'`). */
export {
  celu,
  elu,
  gelu,
  glu,
  hardshrink,
  hardsigmoid,
  hardswish,
  hardtanh,
  implicitSoftmaxDim,
  leakyRelu,
  logSoftmax,
  logsigmoid,
  mish,
  prelu,
  relu,
  relu6,
  selu,
  sigmoid,
  silu,
  softmax,
  softmin,
  softplus,
  softshrink,
  softsign,
  tanh,
  tanhshrink,
  threshold,
} from './activation.js';
export type { SoftmaxFnOptions } from './activation.js';
export { bilinear, linear } from './linear.js';
export { embedding, embeddingBag, embeddingRenorm_ } from './embedding.js';
export type { EmbeddingBagMode, EmbeddingBagOptions, EmbeddingOptions } from './embedding.js';
export { conv1d, conv2d, conv3d, convNd } from './conv.js';
export type { ConvOptions, ConvPadding } from './conv.js';
export {
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  adaptiveAvgPool3d,
  adaptiveMaxPool1d,
  adaptiveMaxPool2d,
  avgPool1d,
  avgPool2d,
  avgPool3d,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxPoolNdWithIndices,
} from './pooling.js';
export type { AdaptiveSize, AvgPoolOptions, MaxPoolOptions } from './pooling.js';
export { batchNorm, groupNorm, instanceNorm, layerNorm, normalize } from './normalization.js';
export type { BatchNormOptions, InstanceNormOptions } from './normalization.js';
export { dropout, dropout1d, dropout2d, dropout3d } from './dropout.js';
export type { DropoutOptions } from './dropout.js';
export { cosineSimilarity, pairwiseDistance } from './distance.js';
export {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  cosineEmbeddingLoss,
  crossEntropy,
  gaussianNllLoss,
  hingeEmbeddingLoss,
  huberLoss,
  klDiv,
  l1Loss,
  marginRankingLoss,
  mseLoss,
  nllLoss,
  poissonNllLoss,
  smoothL1Loss,
  softMarginLoss,
} from './loss.js';
export type {
  BceOptions,
  BceWithLogitsOptions,
  CosineEmbeddingOptions,
  CrossEntropyOptions,
  KlDivOptions,
  NllLossOptions,
  Reduction,
  ReductionOptions,
} from './loss.js';
/** `F.pad(input, pad, mode='constant', value=0)` and `F.one_hot(labels, num_classes=-1)`: the tensor core's. */
export { oneHot, pad } from '@torchlet/tensor';
export type { PadOptions } from '@torchlet/tensor';
