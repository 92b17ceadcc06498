/** Errors that name the operation and the shapes, in PyTorch's words. */

/** The base class of Torchlet's errors; catch it to catch them all. */
export class TorchletError extends Error {
  /** `'TorchletError'`. */
  override name = 'TorchletError';
}

/** Incompatible shapes: broadcasting, matmul, view, cat … */
export class ShapeError extends TorchletError {
  /** `'ShapeError'`. */
  override name = 'ShapeError';
}

/** An op got a dtype it does not support, or two dtypes it cannot combine. */
export class DTypeError extends TorchletError {
  /** `'DTypeError'`. */
  override name = 'DTypeError';
}

/** Tensors on different devices, or a synchronous read on a device that cannot read synchronously. */
export class DeviceError extends TorchletError {
  /** `'DeviceError'`. */
  override name = 'DeviceError';
}

/** An index or dimension out of range. */
export class IndexError extends TorchletError {
  /** `'IndexError'`. */
  override name = 'IndexError';
}

/** A value outside what an op accepts (a negative size, a probability above 1 …). */
export class ValueError extends TorchletError {
  /** `'ValueError'`, as PyTorch's Python exception. */
  override name = 'ValueError';
}

/** Use of a tensor after `dispose()`, or an in-place write that would corrupt autograd. */
export class RuntimeError extends TorchletError {
  /** `'RuntimeError'`, as PyTorch's Python exception. */
  override name = 'RuntimeError';
}

/** Formats a shape as PyTorch prints it in messages: `[2, 3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
