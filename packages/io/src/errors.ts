/** Typed errors for Torchlet's file formats. Each message names the file part that is wrong. */
import { TorchletError } from '@torchlet/tensor';

/** A safetensors file (or bytes) that is truncated, malformed or holds an unsupported dtype. */
export class SafetensorsError extends TorchletError {
  /** `'SafetensorsError'`. */
  override name = 'SafetensorsError';
}

/**
 * A PyTorch `.pt`/`.pth` file that cannot be read: a broken zip archive, a malformed pickle, or a
 * pickle naming a global outside the allow-list (as `torch.load(..., weights_only=True)` refuses).
 */
export class PickleError extends TorchletError {
  /** `'PickleError'`. */
  override name = 'PickleError';
}

/** A checkpoint that cannot be written or read back whole (wrong format, missing tensor, checksum mismatch). */
export class CheckpointError extends TorchletError {
  /** `'CheckpointError'`. */
  override name = 'CheckpointError';
}
