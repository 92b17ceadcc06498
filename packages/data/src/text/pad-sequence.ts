/** `torch.nn.utils.rnn.pad_sequence`: variable-length sequences into one padded tensor. */
import { ValueError, fmtShape, pad, stack, type Tensor } from '@torchlet/tensor';

/** Options of `padSequence`. */
export interface PadSequenceOptions {
  /** Output `[B, T, *]` instead of `[T, B, *]` (default false, as in PyTorch). */
  batchFirst?: boolean;
  /** Fill value for the padding (default 0). */
  paddingValue?: number;
  /** Pad after (`'right'`, default) or before (`'left'`) each sequence. */
  paddingSide?: 'right' | 'left';
}

/**
 * `pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side='right')`:
 * stacks sequences of shape `[L_i, *]` (same trailing dims) into `[T, B, *]` (or
 * `[B, T, *]` with `batchFirst`), `T = max L_i`, padding with `paddingValue`. Built from
 * `pad` and `stack`, so it is differentiable.
 */
export function padSequence(sequences: readonly Tensor[], options: PadSequenceOptions = {}): Tensor {
  if (sequences.length === 0) throw new ValueError('pad_sequence: received an empty list of sequences');
  const side = options.paddingSide ?? 'right';
  if (side !== 'right' && side !== 'left') throw new ValueError(`pad_sequence: paddingSide must be 'left' or 'right' (got '${String(side)}')`);
  const ref = sequences[0]!;
  if (ref.ndim === 0) throw new ValueError('pad_sequence: expected sequences of at least one dimension (got a 0-d tensor at index 0)');
  const trailing = ref.shape.slice(1);
  let maxLen = 0;
  sequences.forEach((s, i) => {
    if (s.ndim !== ref.ndim || s.shape.slice(1).some((n, k) => n !== trailing[k])) {
      throw new ValueError(`pad_sequence: sequences must share their trailing dims: sequence 0 has shape ${fmtShape(ref.shape)} and sequence ${i} has shape ${fmtShape(s.shape)}`);
    }
    maxLen = Math.max(maxLen, s.shape[0]!);
  });
  const value = options.paddingValue ?? 0;
  const padded: Tensor[] = [];
  try {
    for (const s of sequences) {
      const extra = maxLen - s.shape[0]!;
      const spec = new Array<number>(2 * s.ndim).fill(0);
      // `pad` lists (before, after) from the last dim: dim 0's pair comes last.
      spec[2 * s.ndim - (side === 'right' ? 1 : 2)] = extra;
      padded.push(pad(s, spec, { value }));
    }
    return stack(padded, options.batchFirst ? 0 : 1);
  } finally {
    for (const p of padded) p.dispose();
  }
}
