export { loadTfjsLayers, tfjsLayersFromArtifacts } from './load.js';
export type { LoadTfjsLayersOptions, TfjsArtifacts, TfjsWeightSpec } from './load.js';
export { KERAS_ACTIVATIONS, KerasHardSigmoid, KerasRecurrent, kerasHardSigmoid } from './layers.js';
export type { KerasMergeMode, KerasRecurrentKind, KerasRecurrentOptions } from './layers.js';
