/**
 * `nn.utils.rnn`: `PackedSequence`, `packPaddedSequence`, `padPackedSequence`, `padSequence`,
 * `packSequence` — PyTorch's packed-sequence utilities.
 *
 * A packed sequence stores the time steps of a batch of variable-length sequences one after
 * another: the rows of step t are the `batchSizes[t]` sequences still running at t, longest
 * first. `sortedIndices[i]` is the original batch index of the i-th longest sequence and
 * `unsortedIndices` its inverse (both null when the input was already sorted and
 * `enforceSorted` was true). Lengths and batch sizes are host data, as in PyTorch (a number
 * array or a CPU integer tensor). Packing and padding are single gathers (`indexSelect`), so
 * they are differentiable.
 */
import {
  RuntimeError,
  ShapeError,
  Tensor,
  ValueError,
  cat,
  fmtShape,
  full,
  indexSelect,
  pad,
  reshape,
  stack,
  tensor,
  tidy,
  transpose,
  type DeviceName,
} from '@torchlet/tensor';

/** Lengths as PyTorch accepts them: numbers or a 1-D CPU integer tensor. */
export type Lengths = readonly number[] | Tensor;

function lengthsToArray(op: string, lengths: Lengths): number[] {
  if (lengths instanceof Tensor) {
    if (lengths.device !== 'cpu') {
      throw new RuntimeError(`${op}: 'lengths' argument should be a 1D CPU int64 tensor, but got 1D ${lengths.device} tensor`);
    }
    if (lengths.ndim !== 1) throw new RuntimeError(`${op}: 'lengths' argument should be a 1D CPU int64 tensor, but got ${lengths.ndim}D tensor`);
    return Array.from(lengths.dataSync(), Number);
  }
  if (!Array.isArray(lengths)) throw new TypeError(`${op}: lengths must be a number array or a CPU tensor`);
  return lengths.map((v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: lengths must be integers, got ${String(v)}`);
    return v;
  });
}

function int32(values: readonly number[], device: DeviceName): Tensor {
  return tensor(Int32Array.from(values), { device });
}

/** Every index of `order` inverted: `inv[order[i]] = i` (PyTorch's `invert_permutation`). */
function invert(order: readonly number[]): number[] {
  const inv = new Array<number>(order.length);
  order.forEach((o, i) => (inv[o] = i));
  return inv;
}

/**
 * `PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)`. Holds its tensors:
 * `dispose()` frees them. `batchSizes` is a CPU int32 tensor; `batchSizesArray` the same as numbers.
 */
export class PackedSequence {
  /** `batchSizes` as numbers. */
  readonly batchSizesArray: readonly number[];
  /** `sortedIndices` on the host (it may live on a device that cannot read synchronously). */
  readonly #order: readonly number[] | null;

  constructor(
    /** [sum(batchSizes), *] — the steps' rows, one after another. */
    readonly data: Tensor,
    /** Active sequences per step (non-increasing), a CPU int32 tensor. */
    readonly batchSizes: Tensor,
    /** The order that sorted the batch by decreasing length (null when it was sorted already). */
    readonly sortedIndices: Tensor | null = null,
    /** The inverse of `sortedIndices`: restores the caller's order (null when sorted already). */
    readonly unsortedIndices: Tensor | null = null,
    /** `sortedIndices` as numbers, when the caller has them (packing does). */
    sortedOrder?: readonly number[],
  ) {
    if (batchSizes.device !== 'cpu' || batchSizes.ndim !== 1) {
      throw new ValueError('batch_sizes should always be on CPU. Instances of PackedSequence should never be created manually. They should be instantiated by functions like pack_sequence and pack_padded_sequences in nn.utils.rnn.');
    }
    this.batchSizesArray = Array.from(batchSizes.dataSync(), Number);
    const total = this.batchSizesArray.reduce((a, b) => a + b, 0);
    if (data.ndim < 1 || data.shape[0] !== total) {
      throw new ShapeError(`PackedSequence: data has ${data.shape[0] ?? 0} rows, but batch_sizes sum to ${total}`);
    }
    this.#order = sortedIndices ? (sortedOrder ?? Array.from(sortedIndices.dataSync(), Number)) : null;
    if (sortedIndices && !unsortedIndices) this.unsortedIndices = int32(invert(this.#order!), sortedIndices.device);
  }

  /** The batch size (the first step's). */
  get batchSize(): number {
    return this.batchSizesArray[0] ?? 0;
  }

  /** `sorted_indices` as numbers (identity when null). */
  sortedOrder(): number[] {
    if (this.#order) return [...this.#order];
    return Array.from({ length: this.batchSize }, (_, i) => i);
  }

  /** Each sequence's length, in the original batch order. */
  lengths(): number[] {
    const sortedLens = new Array<number>(this.batchSize).fill(0);
    for (const bs of this.batchSizesArray) for (let b = 0; b < bs; b++) sortedLens[b]!++;
    const order = this.sortedOrder();
    const out = new Array<number>(order.length);
    order.forEach((o, i) => (out[o] = sortedLens[i]!));
    return out;
  }

  /** The same structure around other data (what the recurrent modules return). */
  withData(data: Tensor): PackedSequence {
    return new PackedSequence(
      data,
      this.batchSizes.clone(),
      this.sortedIndices ? this.sortedIndices.clone() : null,
      this.unsortedIndices ? this.unsortedIndices.clone() : null,
      this.#order ?? undefined,
    );
  }

  /** `packed.to(device)`: data moves; batch sizes stay on the CPU. */
  to(device: DeviceName): PackedSequence {
    return new PackedSequence(
      this.data.to(device),
      this.batchSizes.clone(),
      this.sortedIndices ? this.sortedIndices.to(device) : null,
      this.unsortedIndices ? this.unsortedIndices.to(device) : null,
      this.#order ?? undefined,
    );
  }

  /** Frees the tensors this sequence holds. */
  dispose(): void {
    this.data.dispose();
    this.batchSizes.dispose();
    this.sortedIndices?.dispose();
    this.unsortedIndices?.dispose();
  }
}

/** Options of `packPaddedSequence`. */
export interface PackPaddedOptions {
  /** Input is [B, T, *] instead of [T, B, *] (default false). */
  batchFirst?: boolean;
  /** Require lengths in decreasing order (default true); false sorts them and records the order. */
  enforceSorted?: boolean;
}

/**
 * `pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True)`: packs a
 * padded [T, B, *] (or [B, T, *]) batch of sequences of the given lengths.
 */
export function packPaddedSequence(input: Tensor, lengths: Lengths, options: PackPaddedOptions = {}): PackedSequence {
  const op = 'pack_padded_sequence';
  const batchFirst = options.batchFirst ?? false;
  const enforceSorted = options.enforceSorted ?? true;
  const lens = lengthsToArray(op, lengths);
  if (input.ndim < 2) throw new ShapeError(`${op}: expected input of at least 2 dimensions ([T, B, *]), got shape ${fmtShape(input.shape)}`);
  const T = input.shape[batchFirst ? 1 : 0]!;
  const B = input.shape[batchFirst ? 0 : 1]!;
  if (lens.length !== B) throw new RuntimeError(`Expected \`len(lengths)\` to be equal to batch_size, but got ${lens.length} (batch_size=${B})`);
  let order: number[];
  if (enforceSorted) {
    for (let i = 1; i < lens.length; i++) {
      if (lens[i]! > lens[i - 1]!) {
        throw new RuntimeError(
          '`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass `enforce_sorted=False` ' +
            'to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not need ONNX exportability.',
        );
      }
    }
    order = lens.map((_, i) => i);
  } else {
    order = lens.map((_, i) => i).sort((a, b) => lens[b]! - lens[a]! || a - b);
  }
  const sorted = order.map((i) => lens[i]!);
  if (B > 0 && sorted[B - 1]! <= 0) {
    throw new RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0");
  }
  if (B > 0 && sorted[0]! > T) {
    throw new RuntimeError(
      `${op}: sequence ${order[0]} has length ${sorted[0]}, longer than the padded input's ${T} steps (input shape ${fmtShape(input.shape)}, batch_first=${batchFirst ? 'True' : 'False'})`,
    );
  }
  const maxLen = sorted[0] ?? 0;
  const batchSizes: number[] = [];
  const index: number[] = [];
  for (let t = 0; t < maxLen; t++) {
    let bs = 0;
    while (bs < B && sorted[bs]! > t) bs++;
    batchSizes.push(bs);
    // Row (t, b) of the [T, B] flattening, or (b, t) of [B, T].
    for (let i = 0; i < bs; i++) index.push(batchFirst ? order[i]! * T + t : t * B + order[i]!);
  }
  const feature = input.shape.slice(2);
  const data = tidy(() => {
    const flat = reshape(input, [T * B, ...feature]);
    return indexSelect(flat, 0, int32(index, input.device));
  });
  const sortedIndices = enforceSorted ? null : int32(order, input.device);
  const unsortedIndices = enforceSorted ? null : int32(invert(order), input.device);
  return new PackedSequence(data, int32(batchSizes, 'cpu'), sortedIndices, unsortedIndices, enforceSorted ? undefined : order);
}

/** Options of `padPackedSequence`. */
export interface PadPackedOptions {
  /** Output [B, T, *] instead of [T, B, *] (default false). */
  batchFirst?: boolean;
  /** Value of the padded positions (default 0). */
  paddingValue?: number;
  /** Pad to this many steps (at least the longest sequence). */
  totalLength?: number | null;
}

/**
 * `pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None)`:
 * the inverse of packing. Returns `[padded, lengths]`, both in the original batch order;
 * `lengths` is a CPU int32 tensor.
 */
export function padPackedSequence(sequence: PackedSequence, options: PadPackedOptions = {}): [Tensor, Tensor] {
  const batchFirst = options.batchFirst ?? false;
  const paddingValue = options.paddingValue ?? 0;
  const bsz = sequence.batchSizesArray;
  const maxLen = bsz.length;
  let T = maxLen;
  if (options.totalLength !== undefined && options.totalLength !== null) {
    if (options.totalLength < maxLen) {
      throw new ValueError(
        `Expected total_length to be at least the length of the longest sequence in input, but got total_length=${options.totalLength} and max sequence length being ${maxLen}`,
      );
    }
    T = options.totalLength;
  }
  const B = sequence.batchSize;
  const data = sequence.data;
  const N = data.shape[0]!;
  const order = sequence.sortedOrder();
  // Position (t, original b) takes packed row offset_t + (sorted position of b), or padding (row N).
  const sortedPos = invert(order);
  const offsets: number[] = [];
  let o = 0;
  for (const bs of bsz) {
    offsets.push(o);
    o += bs;
  }
  const index: number[] = [];
  const push = (t: number, b: number): void => {
    const i = sortedPos[b]!;
    index.push(t < maxLen && i < bsz[t]! ? offsets[t]! + i : N);
  };
  if (batchFirst) for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) push(t, b);
  else for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) push(t, b);
  const feature = data.shape.slice(1);
  const padded = tidy(() => {
    const ext = cat([data, full([1, ...feature], paddingValue, { dtype: data.dtype, device: data.device })], 0);
    const rowsOut = indexSelect(ext, 0, int32(index, data.device));
    return reshape(rowsOut, batchFirst ? [B, T, ...feature] : [T, B, ...feature]);
  });
  return [padded, int32(sequence.lengths(), 'cpu')];
}

/** Options of `padSequence`. */
export interface PadSequenceOptions {
  /** Output [B, T, *] instead of [T, B, *] (default false). */
  batchFirst?: boolean;
  /** Value of the padded positions (default 0). */
  paddingValue?: number;
  /** 'right' (default) or 'left'. */
  paddingSide?: 'right' | 'left';
}

/**
 * `pad_sequence(sequences, batch_first=False, padding_value=0.0)`: stacks [L_i, *] tensors
 * into [T, B, *] (or [B, T, *]), padding each to the longest.
 */
export function padSequence(sequences: readonly Tensor[], options: PadSequenceOptions = {}): Tensor {
  if (sequences.length === 0) throw new RuntimeError('received an empty list of sequences');
  const trailing = sequences[0]!.shape.slice(1);
  for (const s of sequences) {
    if (s.ndim < 1 || s.shape.slice(1).join(',') !== trailing.join(',')) {
      throw new ShapeError(`pad_sequence: all sequences must have the same trailing shape ${fmtShape(trailing)}, got ${fmtShape(s.shape)}`);
    }
  }
  const T = Math.max(...sequences.map((s) => s.shape[0]!));
  const left = options.paddingSide === 'left';
  return tidy(() => {
    const padded = sequences.map((s) => {
      const extra = T - s.shape[0]!;
      // pad's list runs from the last dim: zeros for the trailing dims, then (before, after) for dim 0.
      const spec = [...trailing.flatMap(() => [0, 0]), left ? extra : 0, left ? 0 : extra];
      return pad(s, spec, { value: options.paddingValue ?? 0 });
    });
    const stacked = stack(padded, 0);
    return options.batchFirst ? stacked : transpose(stacked, 0, 1).contiguous();
  });
}

/** `pack_sequence(sequences, enforce_sorted=True)`: `packPaddedSequence(padSequence(sequences), lengths)`. */
export function packSequence(sequences: readonly Tensor[], options: { enforceSorted?: boolean } = {}): PackedSequence {
  const lengths = sequences.map((s) => s.shape[0]!);
  const padded = padSequence(sequences);
  try {
    return packPaddedSequence(padded, lengths, { enforceSorted: options.enforceSorted ?? true });
  } finally {
    padded.dispose();
  }
}

/** `unpack_sequence(packed)`: the list of unpadded sequences, in the original order. */
export function unpackSequence(packed: PackedSequence): Tensor[] {
  return tidy(() => {
    const [padded, lengths] = padPackedSequence(packed, { batchFirst: true });
    const lens = Array.from(lengths.dataSync(), Number);
    return lens.map((l, b) => padded.select(0, b).narrow(0, 0, l).contiguous());
  });
}
