// The other frameworks `pnpm bench` times on the same cases (see each module).
export { loadOrt, onnxModel, ortSession, type OnnxGraph, type OnnxNode, type OrtRunner } from './onnx.js';
export { pytorchAvailable, runPytorch, type PytorchRun } from './pytorch.js';
export { tfLabel, useTf, type TF, type TfBackend } from './tfjs.js';
export { INSTALL_HINT, peerVersions } from './install.js';
export type { TfTensor } from './types.js';
