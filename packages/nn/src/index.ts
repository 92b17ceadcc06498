/**
 * @torchlet/nn — `torch.nn` for TypeScript: `Module` and `Parameter`, containers, layers,
 * loss modules, and the `functional`, `init` and `utils` namespaces.
 *
 * ```ts
 * import * as nn from '@torchlet/nn';
 * const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
 * const loss = nn.functional.crossEntropy(model.call(x), y);
 * ```
 */
import '@torchlet/autograd';

export { Module } from './module.js';
export type {
  ForwardHook,
  ForwardPreHook,
  IncompatibleKeys,
  LoadStateDictOptions,
  NamedOptions,
  RemovableHandle,
  StateDict,
} from './module.js';
export { Parameter, isParameter } from './parameter.js';
export type { ParameterConstructor } from './parameter.js';
export type { SummaryInput, SummaryOptions } from './summary.js';
export { ModuleDict, ModuleList, Sequential } from './containers.js';

export { Bilinear, Flatten, Identity, Linear, Unflatten } from './layers/linear.js';
export type { FactoryOptions } from './layers/linear.js';
export { Embedding, EmbeddingBag } from './layers/embedding.js';
export type { EmbeddingBagLayerOptions, EmbeddingLayerOptions } from './layers/embedding.js';
export { Conv1d, Conv2d, Conv3d, ConvNd } from './layers/conv.js';
export type { ConvLayerOptions, PaddingMode } from './layers/conv.js';
export {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AdaptiveAvgPool3d,
  AdaptiveAvgPoolNd,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  AdaptiveMaxPoolNd,
  AvgPool1d,
  AvgPool2d,
  AvgPool3d,
  AvgPoolNd,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
  MaxPoolNd,
} from './layers/pooling.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  GroupNorm,
  InstanceNorm1d,
  InstanceNorm2d,
  InstanceNorm3d,
  InstanceNormNd,
  LayerNorm,
  NormBase,
} from './layers/normalization.js';
export type { BatchNormLayerOptions, LayerNormOptions } from './layers/normalization.js';
export { Dropout, Dropout1d, Dropout2d, Dropout3d } from './layers/dropout.js';
export {
  CELU,
  ELU,
  GELU,
  GLU,
  Hardshrink,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LeakyReLU,
  LogSigmoid,
  LogSoftmax,
  Mish,
  PReLU,
  ReLU,
  ReLU6,
  SELU,
  SiLU,
  Sigmoid,
  Softmax,
  SoftmaxBase,
  Softmin,
  Softplus,
  Softshrink,
  Softsign,
  Tanh,
  Tanhshrink,
  Threshold,
} from './layers/activation.js';
export {
  BCELoss,
  BCEWithLogitsLoss,
  CosineEmbeddingLoss,
  CrossEntropyLoss,
  GaussianNLLLoss,
  HingeEmbeddingLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MSELoss,
  MarginRankingLoss,
  NLLLoss,
  PoissonNLLLoss,
  SmoothL1Loss,
  SoftMarginLoss,
} from './layers/loss.js';

export * as functional from './functional/index.js';
export * as init from './init.js';
export * as utils from './utils/index.js';

// recurrent family (helper: RNN/GRU/LSTM, cells, SRU, packed sequences; `nn.utils.rnn` is also `rnn` here)
export { GRU, GRUCell, LSTM, LSTMCell, PackedSequence, RNN, RNNBase, RNNCell, RNNCellBase, SRU, rnn } from './recurrent/index.js';
export type { GRUOptions, LSTMOptions, Lengths, PackPaddedOptions, PadPackedOptions, PadSequenceOptions, RNNBaseOptions, RNNOptions, SRUOptions } from './recurrent/index.js';

// TF.js / Keras Layers models in (the migration path from TensorFlow.js)
export { KerasHardSigmoid, KerasRecurrent, loadTfjsLayers, tfjsLayersFromArtifacts } from './tfjs/index.js';
export type { KerasMergeMode, KerasRecurrentKind, KerasRecurrentOptions, LoadTfjsLayersOptions, TfjsArtifacts, TfjsWeightSpec } from './tfjs/index.js';
export { version } from './version.js';
