/**
 * `nn.RNN`, `nn.GRU`, `nn.LSTM` — PyTorch's multi-layer recurrent modules, with its parameter
 * names (`weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0` …), shapes, gate order (GRU r, z, n;
 * LSTM i, f, g, o), initialisation U(−1/√hidden, 1/√hidden), `batchFirst`, bidirectional
 * layers, inter-layer dropout (training only), LSTM projections, unbatched 2-D input and
 * `PackedSequence` input/output.
 *
 * Each layer and direction is one input-projection matmul over all timesteps plus one
 * `recurrentLayer` op (see layer-op.ts) whose time loop runs one matmul and one fused gate
 * kernel per step.
 */
import { isGradEnabled } from '@torchlet/autograd';
import {
  RuntimeError,
  ShapeError,
  ValueError,
  addmm,
  cat,
  dispatch,
  empty,
  indexSelect,
  matmul,
  reshape,
  select,
  stack,
  t as transpose2d,
  tidy,
  transpose,
  unsqueeze,
  squeeze,
  zeros,
  type DType,
  type DeviceName,
  type Tensor,
} from '@torchlet/tensor';
import { dropout as dropoutFn } from '../functional/dropout.js';
import { uniform_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { GATES, recurrentLayerOp, type RecurrentLayerAttrs, type RecurrentMode } from './layer-op.js';
import { PackedSequence } from './packed.js';

/** Options of `RNN`, `GRU` and `LSTM` (PyTorch's keyword arguments, camelCase). */
export interface RNNBaseOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Use b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [B, T, *] instead of [T, B, *] (default false; hidden states stay [L·D, B, H]). */
  batchFirst?: boolean;
  /** Dropout on the outputs of each layer except the last, in training mode (default 0). */
  dropout?: number;
  /** Two directions per layer (default false). */
  bidirectional?: boolean;
  /** dtype of the parameters (default float32). */
  dtype?: DType;
  /** Device of the parameters (default `'cpu'`). */
  device?: DeviceName;
}

/** Options of `RNN`. */
export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

export interface GRUOptions extends RNNBaseOptions {
  /**
   * Where the reset gate applies (default true, PyTorch's and cuDNN's form):
   * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)). With false, the original form of Cho et al.
   * (Keras `reset_after=False`, the only one TensorFlow.js accepts):
   * n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn). Same parameters and shapes either way.
   */
  resetAfter?: boolean;
}

/** Options of `LSTM`. */
export interface LSTMOptions extends RNNBaseOptions {
  /** Project h to this size with `weight_hr` (0 = none, default). */
  projSize?: number;
}

function fmtTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function fmtList(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

const MODE_NAME: Record<RecurrentMode, string> = { rnn_tanh: 'RNN', rnn_relu: 'RNN', gru: 'GRU', lstm: 'LSTM' };

/** The parameters of one layer and direction. */
export interface LayerWeights {
  wih: Parameter;
  whh: Parameter;
  bih: Parameter | null;
  bhh: Parameter | null;
  whr: Parameter | null;
}

/** What every recurrent stack computes (also used by the cells). */
export interface StackResult {
  /** [N, D·P] in packed row layout. */
  output: Tensor;
  /** [L·D, B, P] */
  hN: Tensor;
  /** [L·D, B, H] (LSTM) */
  cN: Tensor | null;
}

/**
 * Runs one layer-direction: the input projection (one matmul) and the `recurrentLayer` op.
 * Returns the op's user-facing outputs; its saved workspace is released here (autograd keeps
 * its own references).
 */
export function runLayer(
  mode: RecurrentMode,
  x: Tensor,
  w: LayerWeights,
  h0: Tensor,
  c0: Tensor | null,
  batchSizes: readonly number[],
  reverse: boolean,
  resetAfter = true,
): { out: Tensor; hN: Tensor; cN: Tensor | null } {
  const gx = w.bih ? addmm(w.bih, x, transpose2d(w.wih)) : matmul(x, transpose2d(w.wih));
  const inputs = [gx, h0, w.whh];
  if (w.bhh) inputs.push(w.bhh);
  if (c0) inputs.push(c0);
  if (w.whr) inputs.push(w.whr);
  const attrs: RecurrentLayerAttrs = {
    mode,
    batchSizes,
    reverse,
    hasBias: w.bhh !== null,
    hasProj: w.whr !== null,
    saveForBackward: isGradEnabled() && inputs.some((t) => t.requiresGrad),
    ...(mode === 'gru' && !resetAfter ? { resetAfter: false } : {}),
  };
  const outs = dispatch(recurrentLayerOp, inputs, attrs) as Tensor[];
  gx.dispose();
  for (let k = 3; k < outs.length; k++) outs[k]!.dispose();
  if (!c0) outs[2]!.dispose();
  return { out: outs[0]!, hN: outs[1]!, cN: c0 ? outs[2]! : null };
}

/** Shared implementation of RNN, GRU and LSTM (PyTorch's `RNNBase`). */
export class RNNBase extends Module {
  /** Which recurrence: `'rnn_tanh'`, `'rnn_relu'`, `'gru'` or `'lstm'` (PyTorch's `mode`). */
  readonly mode: RecurrentMode;
  /** Features of the input x. */
  readonly inputSize: number;
  /** Features of the hidden state h (and of the LSTM's cell state). */
  readonly hiddenSize: number;
  /** Stacked layers. */
  readonly numLayers: number;
  /** Whether the layers have biases b_ih and b_hh. */
  readonly bias: boolean;
  /** Input and output are [B, T, *] instead of [T, B, *]. */
  readonly batchFirst: boolean;
  /** Dropout probability between layers (training mode only). */
  readonly dropout: number;
  /** Whether each layer runs in both directions. */
  readonly bidirectional: boolean;
  /** The LSTM's projection size (0: none). */
  readonly projSize: number;
  /** GRU: the reset gate's placement (see `GRUOptions.resetAfter`); true for the other modes. */
  readonly resetAfter: boolean;

  constructor(mode: RecurrentMode, inputSize: number, hiddenSize: number, options: RNNBaseOptions & { projSize?: number; resetAfter?: boolean } = {}) {
    super();
    const name = MODE_NAME[mode];
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = options.numLayers ?? 1;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    this.bidirectional = options.bidirectional ?? false;
    this.projSize = options.projSize ?? 0;
    this.resetAfter = options.resetAfter ?? true;
    if (typeof this.resetAfter !== 'boolean') throw new TypeError(`resetAfter must be a boolean, got ${String(this.resetAfter)}`);
    if (!this.resetAfter && mode !== 'gru') throw new ValueError('resetAfter is an option of GRU and GRUCell only');
    for (const [k, v] of [['input_size', inputSize], ['hidden_size', hiddenSize], ['num_layers', this.numLayers]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ValueError(`${k} should be a positive integer (got ${v}) in ${name}`);
    }
    if (!(this.dropout >= 0 && this.dropout <= 1)) {
      throw new ValueError('dropout should be a number in range [0, 1] representing the probability of an element being zeroed');
    }
    if (this.dropout > 0 && this.numLayers === 1) {
      console.warn(
        `dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=${this.dropout} and num_layers=${this.numLayers}`,
      );
    }
    if (!Number.isInteger(this.projSize) || this.projSize < 0) throw new ValueError('proj_size should be a positive integer or zero to disable projections');
    if (this.projSize > 0 && mode !== 'lstm') throw new ValueError('proj_size argument is only supported for LSTM, not RNN or GRU');
    if (this.projSize >= hiddenSize) throw new ValueError('proj_size has to be smaller than hidden_size');

    const f = { dtype: options.dtype, device: options.device };
    const G = GATES[mode] * hiddenSize;
    const P = this.projSize > 0 ? this.projSize : hiddenSize;
    const D = this.bidirectional ? 2 : 1;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < D; d++) {
        const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const inSize = layer === 0 ? inputSize : P * D;
        this.registerParameter(`weight_ih${sfx}`, new Parameter(empty([G, inSize], f)));
        this.registerParameter(`weight_hh${sfx}`, new Parameter(empty([G, P], f)));
        if (this.bias) {
          this.registerParameter(`bias_ih${sfx}`, new Parameter(empty([G], f)));
          this.registerParameter(`bias_hh${sfx}`, new Parameter(empty([G], f)));
        }
        if (this.projSize > 0) this.registerParameter(`weight_hr${sfx}`, new Parameter(empty([this.projSize, hiddenSize], f)));
      }
    }
    this.resetParameters();
  }

  /** U(−1/√hidden, 1/√hidden) for every weight and bias, as PyTorch. */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters({ recurse: false })) uniform_(p, -stdv, stdv);
  }

  /** The parameters of `layer`, direction `d` (0 forward, 1 reverse). */
  layerWeights(layer: number, d: number): LayerWeights {
    const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
    return {
      wih: this.getParameter(`weight_ih${sfx}`),
      whh: this.getParameter(`weight_hh${sfx}`),
      bih: this.bias ? this.getParameter(`bias_ih${sfx}`) : null,
      bhh: this.bias ? this.getParameter(`bias_hh${sfx}`) : null,
      whr: this.projSize > 0 ? this.getParameter(`weight_hr${sfx}`) : null,
    };
  }

  /** The hidden size of h (the projection size for a projected LSTM). */
  get realHiddenSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** 2 when bidirectional, else 1. */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The layers over packed-layout input x [N, I]; h0 [L·D, B, P], c0 [L·D, B, H]. */
  protected runStack(x: Tensor, batchSizes: readonly number[], h0: Tensor, c0: Tensor | null): StackResult {
    const D = this.numDirections;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    let layerInput = x;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const i = layer * D + d;
        const r = runLayer(this.mode, layerInput, this.layerWeights(layer, d), select(h0, 0, i), c0 ? select(c0, 0, i) : null, batchSizes, d === 1, this.resetAfter);
        outs.push(r.out);
        hs.push(r.hN);
        if (r.cN) cs.push(r.cN);
      }
      layerInput = D === 1 ? outs[0]! : cat(outs, 1);
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) layerInput = dropoutFn(layerInput, this.dropout);
    }
    return { output: layerInput, hN: stack(hs, 0), cN: c0 ? stack(cs, 0) : null };
  }

  /** Throws PyTorch's "Expected hidden size …" error when `h` is not `expected`-shaped. */
  protected checkHidden(h: Tensor, expected: readonly number[], msg: string): void {
    if (h.ndim !== expected.length || h.shape.some((s, i) => s !== expected[i])) {
      throw new RuntimeError(msg.replace('{}', fmtTuple(expected)).replace('{}', fmtList(h.shape)));
    }
  }

  /**
   * The common forward: validates, lays the input out as packed rows, runs the stack and
   * shapes the results back. `hx` is h0, or [h0, c0] for the LSTM.
   */
  protected forwardImpl(input: Tensor | PackedSequence, hx: Tensor | readonly [Tensor, Tensor] | null | undefined): {
    /** The output sequence: [T, B, D·P] (or batch first, or packed like the input). */
    output: Tensor | PackedSequence;
    /** The final hidden state of every layer and direction, [L·D, B, P]. */
    hN: Tensor;
    /** The LSTM's final cell state, [L·D, B, H] (null for RNN and GRU). */
    cN: Tensor | null;
  } {
    const name = MODE_NAME[this.mode];
    const isLstm = this.mode === 'lstm';
    const D = this.numDirections;
    const L = this.numLayers;
    const P = this.realHiddenSize;
    const H = this.hiddenSize;
    let h0In: Tensor | null = null;
    let c0In: Tensor | null = null;
    if (hx !== null && hx !== undefined) {
      if (isLstm) {
        if (!Array.isArray(hx) || hx.length !== 2) throw new TypeError('LSTM: hx must be a pair [h0, c0]');
        [h0In, c0In] = hx as [Tensor, Tensor];
      } else {
        if (Array.isArray(hx)) throw new TypeError(`${name}: hx must be a Tensor`);
        h0In = hx as Tensor;
      }
    }

    const packed = input instanceof PackedSequence ? input : null;
    const r = tidy(() => {
      let x: Tensor;
      let batchSizes: number[];
      let B: number;
      let unbatched = false;
      let T = 0;
      if (packed) {
        x = packed.data;
        batchSizes = [...packed.batchSizesArray];
        B = batchSizes[0] ?? 0;
        if (x.ndim !== 2) throw new RuntimeError(`input must have 2 dimensions, got ${x.ndim}`);
      } else {
        const inp = input as Tensor;
        if (inp.ndim !== 2 && inp.ndim !== 3) throw new ShapeError(`${name}: Expected input to be 2D or 3D, got ${inp.ndim}D tensor instead`);
        unbatched = inp.ndim === 2;
        const seqFirst = unbatched ? unsqueeze(inp, 1) : this.batchFirst ? transpose(inp, 0, 1) : inp;
        T = seqFirst.shape[0]!;
        B = seqFirst.shape[1]!;
        x = reshape(seqFirst, [T * B, seqFirst.shape[2]!]);
        batchSizes = new Array<number>(T).fill(B);
        for (const h of [h0In, c0In]) {
          if (!h) continue;
          if (unbatched && h.ndim !== 2) throw new RuntimeError(`For unbatched 2-D input, hx should also be 2-D but got ${h.ndim}-D tensor`);
          if (!unbatched && h.ndim !== 3) throw new RuntimeError(`For batched 3-D input, hx should also be 3-D but got ${h.ndim}-D tensor`);
        }
      }
      if (x.shape[1] !== this.inputSize) {
        throw new RuntimeError(`input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[1]}`);
      }
      const opts = { dtype: x.dtype, device: x.device };
      let h0 = h0In ? (unbatched ? unsqueeze(h0In, 1) : h0In) : zeros([L * D, B, P], opts);
      let c0 = isLstm ? (c0In ? (unbatched ? unsqueeze(c0In, 1) : c0In) : zeros([L * D, B, H], opts)) : null;
      if (packed?.sortedIndices && h0In) h0 = indexSelect(h0, 1, packed.sortedIndices);
      if (packed?.sortedIndices && c0In && c0) c0 = indexSelect(c0, 1, packed.sortedIndices);
      if (isLstm) {
        this.checkHidden(h0, [L * D, B, P], 'Expected hidden[0] size {}, got {}');
        this.checkHidden(c0!, [L * D, B, H], 'Expected hidden[1] size {}, got {}');
      } else {
        this.checkHidden(h0, [L * D, B, P], 'Expected hidden size {}, got {}');
      }
      if (h0.dtype !== x.dtype || (c0 && c0.dtype !== x.dtype)) {
        throw new RuntimeError(`${name}: input and hidden tensors must have the same dtype, got ${x.dtype} and ${h0.dtype}`);
      }

      const r = this.runStack(x, batchSizes, h0, c0);
      let hN = r.hN;
      let cN = r.cN;
      let output: Tensor;
      if (packed) {
        output = r.output;
        if (packed.unsortedIndices) {
          hN = indexSelect(hN, 1, packed.unsortedIndices);
          if (cN) cN = indexSelect(cN, 1, packed.unsortedIndices);
        }
      } else {
        let out = reshape(r.output, [T, B, D * P]);
        if (unbatched) {
          out = squeeze(out, 1);
          hN = squeeze(hN, 1);
          if (cN) cN = squeeze(cN, 1);
        } else if (this.batchFirst) out = transpose(out, 0, 1);
        output = out;
      }
      return { output, hN, cN };
    });
    return { output: packed ? packed.withData(r.output) : r.output, hN: r.hN, cN: r.cN };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ', bias=False';
    if (this.batchFirst) s += ', batch_first=True';
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += ', bidirectional=True';
    if (!this.resetAfter) s += ', reset_after=False';
    return s;
  }
}

/**
 * `nn.RNN(input_size, hidden_size, …)`: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
 * (or relu). `forward(input, h0?)` → `[output, hN]`.
 */
export class RNN extends RNNBase {
  /** `'tanh'` or `'relu'`. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new ValueError(`Unknown nonlinearity '${String(nl)}'`);
    super(nl === 'tanh' ? 'rnn_tanh' : 'rnn_relu', inputSize, hiddenSize, options);
    this.nonlinearity = nl;
  }

  /** Runs the RNN over a packed batch: `[output (packed), hN]`. */
  override forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  /** Runs the RNN over input [T, B, I] (or [B, T, I], or unbatched [T, I]) from `hx` (zeros by default): `[output, hN]`. */
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  override forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const r = this.forwardImpl(input, hx);
    return [r.output, r.hN];
  }


  override extraRepr(): string {
    const s = super.extraRepr();
    return this.nonlinearity === 'tanh' ? s : s.replace(`${this.hiddenSize}`, `${this.hiddenSize}, nonlinearity='relu'`);
  }
}

/**
 * `nn.GRU(input_size, hidden_size, …)`, PyTorch's equations:
 * r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h; with
 * `resetAfter: false`, n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn) (Keras/TF.js layers).
 * `forward(input, h0?)` → `[output, hN]`.
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: GRUOptions = {}) {
    super('gru', inputSize, hiddenSize, options);
  }

  /** Runs the GRU over a packed batch: `[output (packed), hN]`. */
  override forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  /** Runs the GRU over input [T, B, I] (or [B, T, I], or unbatched [T, I]) from `hx` (zeros by default): `[output, hN]`. */
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  override forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const r = this.forwardImpl(input, hx);
    return [r.output, r.hN];
  }

}

/**
 * `nn.LSTM(input_size, hidden_size, …, proj_size=0)`: gates i, f, g, o;
 * c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c') (then W_hr h' with `projSize`).
 * `forward(input, [h0, c0]?)` → `[output, [hN, cN]]`.
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super('lstm', inputSize, hiddenSize, options);
  }

  /** Runs the LSTM over a packed batch: `[output (packed), [hN, cN]]`. */
  override forward(input: PackedSequence, hx?: readonly [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  /** Runs the LSTM over input [T, B, I] (or [B, T, I], or unbatched [T, I]) from `[h0, c0]` (zeros by default): `[output, [hN, cN]]`. */
  override forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  override forward(input: Tensor | PackedSequence, hx?: readonly [Tensor, Tensor] | null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    const r = this.forwardImpl(input, hx);
    return [r.output, [r.hN, r.cN!]];
  }

}
