export { CheckpointError, PickleError, SafetensorsError } from './errors.js';
export {
  MAX_HEADER_SIZE,
  decodeSafetensorsEntry,
  encodeSafetensors,
  loadSafetensors,
  parseSafetensorsHeader,
  saveSafetensors,
} from './safetensors.js';
export type {
  LoadSafetensorsOptions,
  RawTensor,
  SafetensorsContents,
  SafetensorsEntry,
  SafetensorsHeader,
  SaveSafetensorsOptions,
} from './safetensors.js';
export type { FileDType } from './elements.js';
export { loadPt, loadPtObject } from './pt.js';
export type { LoadPtOptions } from './pt.js';
export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, load, loadBytes, save, saveBytes } from './checkpoint.js';
export type { LoadCheckpointOptions } from './checkpoint.js';
export { crc32 } from './crc32.js';
export { version } from './version.js';
