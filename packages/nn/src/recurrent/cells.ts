/**
 * `nn.RNNCell`, `nn.GRUCell`, `nn.LSTMCell`: one step of the recurrent layers, with PyTorch's
 * parameter names (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`), shapes, initialisation and
 * checks. A step is the same `recurrentLayer` op as the layers run (one matmul for the input,
 * one for the state, one fused gate kernel), over a single timestep.
 */
import { RuntimeError, ShapeError, ValueError, empty, squeeze, tidy, unsqueeze, zeros, type Tensor } from '@torchlet/tensor';
import { uniform_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { GATES, type RecurrentMode } from './layer-op.js';
import { runLayer, type RNNBaseOptions } from './rnn.js';

type CellOptions = Pick<RNNBaseOptions, 'bias' | 'dtype' | 'device'>;

const CELL_NAME: Record<RecurrentMode, string> = { rnn_tanh: 'RNNCell', rnn_relu: 'RNNCell', gru: 'GRUCell', lstm: 'LSTMCell' };

/** PyTorch's `RNNCellBase`. */
export class RNNCellBase extends Module {
  /** Features of the input x. */
  readonly inputSize: number;
  /** Features of the hidden state h. */
  readonly hiddenSize: number;
  /** Whether the cell has the biases b_ih and b_hh. */
  readonly bias: boolean;
  /** Input-to-hidden weights [gates·H, inputSize], U(−1/√H, 1/√H) (PyTorch's key `weight_ih`). */
  weight_ih: Parameter;
  /** Hidden-to-hidden weights [gates·H, H], U(−1/√H, 1/√H). */
  weight_hh: Parameter;
  /** Input-to-hidden bias [gates·H] (null without `bias`). */
  bias_ih: Parameter | null;
  /** Hidden-to-hidden bias [gates·H] (null without `bias`). */
  bias_hh: Parameter | null;

  /** GRUCell: the reset gate's placement (see `GRUOptions.resetAfter`); true for the others. */
  readonly resetAfter: boolean;

  constructor(
    protected readonly mode: RecurrentMode,
    inputSize: number,
    hiddenSize: number,
    options: CellOptions & { resetAfter?: boolean } = {},
  ) {
    super();
    for (const [k, v] of [['input_size', inputSize], ['hidden_size', hiddenSize]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ValueError(`${k} should be a positive integer (got ${v}) in ${CELL_NAME[mode]}`);
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = options.bias ?? true;
    this.resetAfter = options.resetAfter ?? true;
    if (typeof this.resetAfter !== 'boolean') throw new TypeError(`resetAfter must be a boolean, got ${String(this.resetAfter)}`);
    if (!this.resetAfter && mode !== 'gru') throw new ValueError('resetAfter is an option of GRU and GRUCell only');
    const f = { dtype: options.dtype, device: options.device };
    const G = GATES[mode] * hiddenSize;
    this.weight_ih = new Parameter(empty([G, inputSize], f));
    this.weight_hh = new Parameter(empty([G, hiddenSize], f));
    this.bias_ih = this.bias ? new Parameter(empty([G], f)) : null;
    this.bias_hh = this.bias ? new Parameter(empty([G], f)) : null;
    this.resetParameters();
  }

  /** U(−1/√hidden, 1/√hidden) for every parameter, as PyTorch. */
  resetParameters(): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -stdv, stdv);
  }

  /** Validates and batches `input` and the states; returns whether the input was unbatched. */
  protected prepare(input: Tensor, states: (Tensor | null | undefined)[]): { x: Tensor; hs: Tensor[]; unbatched: boolean } {
    const name = CELL_NAME[this.mode];
    if (input.ndim !== 1 && input.ndim !== 2) throw new ShapeError(`${name}: Expected input to be 1D or 2D, got ${input.ndim}D instead`);
    const unbatched = input.ndim === 1;
    const x = unbatched ? unsqueeze(input, 0) : input;
    if (x.shape[1] !== this.inputSize) throw new RuntimeError(`input has inconsistent input_size: got ${x.shape[1]} expected ${this.inputSize}`);
    const B = x.shape[0]!;
    const hs = states.map((h, k) => {
      if (!h) return zeros([B, this.hiddenSize], { dtype: x.dtype, device: x.device });
      if (h.ndim !== input.ndim) {
        throw new RuntimeError(`${name}: Expected hidden${states.length > 1 ? `[${k}]` : ''} to be ${input.ndim}D (like the input), got ${h.ndim}D instead`);
      }
      const hb = unbatched ? unsqueeze(h, 0) : h;
      if (hb.shape[0] !== B) throw new RuntimeError(`Input batch size ${B} doesn't match hidden${k} batch size ${hb.shape[0]}`);
      if (hb.shape[1] !== this.hiddenSize) throw new RuntimeError(`hidden${k} has inconsistent hidden_size: got ${hb.shape[1]}, expected ${this.hiddenSize}`);
      return hb;
    });
    return { x, hs, unbatched };
  }

  /** One step through the shared recurrent op. */
  protected step(x: Tensor, h: Tensor, c: Tensor | null): { h1: Tensor; c1: Tensor | null } {
    const r = runLayer(
      this.mode,
      x,
      { wih: this.weight_ih, whh: this.weight_hh, bih: this.bias_ih, bhh: this.bias_hh, whr: null },
      h,
      c,
      [x.shape[0]!],
      false,
      this.resetAfter,
    );
    r.hN.dispose();
    return { h1: r.out, c1: r.cN };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (!this.bias) s += ', bias=False';
    if (this.mode === 'rnn_relu') s += ", nonlinearity='relu'";
    if (!this.resetAfter) s += ', reset_after=False';
    return s;
  }
}

/** `nn.RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh')`: h' = tanh(W_ih x + b_ih + W_hh h + b_hh). */
export class RNNCell extends RNNCellBase {
  /** `'tanh'` or `'relu'`. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: CellOptions & { nonlinearity?: 'tanh' | 'relu' } = {}) {
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new ValueError(`Unknown nonlinearity: ${String(nl)}`);
    super(nl === 'tanh' ? 'rnn_tanh' : 'rnn_relu', inputSize, hiddenSize, options);
    this.nonlinearity = nl;
  }

  /** `cell(input, hx=None)` → h' ([B, H], or [H] for 1-D input). */
  override forward(input: Tensor, hx?: Tensor | null): Tensor {
    return tidy(() => {
      const { x, hs, unbatched } = this.prepare(input, [hx]);
      const { h1 } = this.step(x, hs[0]!, null);
      return unbatched ? squeeze(h1, 0) : h1;
    });
  }
}

/** `nn.GRUCell(input_size, hidden_size, bias=True)`: gates r, z, n as in `nn.GRU` (`resetAfter` included). */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: CellOptions & { resetAfter?: boolean } = {}) {
    super('gru', inputSize, hiddenSize, options);
  }

  /** `cell(input, hx=None)` → h'. */
  override forward(input: Tensor, hx?: Tensor | null): Tensor {
    return tidy(() => {
      const { x, hs, unbatched } = this.prepare(input, [hx]);
      const { h1 } = this.step(x, hs[0]!, null);
      return unbatched ? squeeze(h1, 0) : h1;
    });
  }
}

/** `nn.LSTMCell(input_size, hidden_size, bias=True)`: gates i, f, g, o as in `nn.LSTM`. */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: CellOptions = {}) {
    super('lstm', inputSize, hiddenSize, options);
  }

  /** `cell(input, (h, c)=None)` → `[h', c']`. */
  override forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    return tidy(() => {
      const { x, hs, unbatched } = this.prepare(input, [hx?.[0], hx?.[1]]);
      const { h1, c1 } = this.step(x, hs[0]!, hs[1]!);
      return unbatched ? [squeeze(h1, 0), squeeze(c1!, 0)] : [h1, c1!];
    });
  }
}
