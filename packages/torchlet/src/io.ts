/**
 * `torch.io`: @torchlet/io's file formats, plus `loadTfjsLayers` (which lives in @torchlet/nn,
 * since it builds modules) so that every "read a model file" function sits in one place.
 */
export * from '@torchlet/io';
export { loadTfjsLayers, tfjsLayersFromArtifacts } from '@torchlet/nn';
export type { LoadTfjsLayersOptions, TfjsArtifacts, TfjsWeightSpec } from '@torchlet/nn';
