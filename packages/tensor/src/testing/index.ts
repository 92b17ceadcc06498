// `torch.testing` for Torchlet: import as `import { testing } from '@torchlet/tensor'`.
export { AssertionError, DEFAULT_TOLERANCES, assertClose } from './assert-close.js';
export type { AssertCloseOptions, TensorLike } from './assert-close.js';
