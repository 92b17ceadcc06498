/**
 * The modules `loadTfjsLayers` builds beyond the ordinary layers: `KerasRecurrent` (a Keras
 * GRU, LSTM or SimpleRNN, alone or in a Bidirectional wrapper, over batch-first input) and
 * `KerasHardSigmoid` (Keras's hard_sigmoid, clip(0.2·x + 0.5, 0, 1), which is not PyTorch's
 * `Hardsigmoid`), and the Keras activation names they understand.
 */
import * as torch from '@torchlet/tensor';
import { ValueError, type Tensor } from '@torchlet/tensor';
import * as F from '../functional/activation.js';
import { ELU, Mish, ReLU, ReLU6, SELU, SiLU, Sigmoid, Softmax, Softplus, Softsign, Tanh } from '../layers/activation.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { GRU, LSTM, RNN, type RNNBase } from '../recurrent/rnn.js';

/** Keras's `hard_sigmoid` (TF.js and Keras 2): clip(0.2·x + 0.5, 0, 1). */
export function kerasHardSigmoid(x: Tensor): Tensor {
  return torch.tidy(() => torch.clamp(torch.add(torch.mul(x, 0.2), 0.5), 0, 1));
}

/** `hard_sigmoid` as Keras computes it (PyTorch's `nn.Hardsigmoid` is relu6(x + 3) / 6, another curve). */
export class KerasHardSigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return kerasHardSigmoid(x);
  }
}

/** Keras activation names and their elementwise functions (softmax: over the last axis). */
export const KERAS_ACTIVATIONS: Readonly<Record<string, (x: Tensor) => Tensor>> = {
  linear: (x) => torch.clone(x),
  relu: F.relu,
  relu6: F.relu6,
  elu: (x) => F.elu(x),
  selu: F.selu,
  sigmoid: F.sigmoid,
  hard_sigmoid: kerasHardSigmoid,
  tanh: F.tanh,
  softmax: (x) => F.softmax(x, -1),
  softplus: (x) => F.softplus(x),
  softsign: F.softsign,
  swish: F.silu,
  mish: F.mish,
};

/** The module of a Keras activation name (null for 'linear'). */
export function kerasActivationModule(name: string, where: string): Module | null {
  switch (name) {
    case 'linear':
      return null;
    case 'relu':
      return new ReLU();
    case 'relu6':
      return new ReLU6();
    case 'elu':
      return new ELU();
    case 'selu':
      return new SELU();
    case 'sigmoid':
      return new Sigmoid();
    case 'hard_sigmoid':
      return new KerasHardSigmoid();
    case 'tanh':
      return new Tanh();
    case 'softmax':
      return new Softmax(-1);
    case 'softplus':
      return new Softplus();
    case 'softsign':
      return new Softsign();
    case 'swish':
      return new SiLU();
    case 'mish':
      return new Mish();
    default:
      throw new ValueError(`${where}: activation '${name}' is not supported (supported: ${Object.keys(KERAS_ACTIVATIONS).join(', ')})`);
  }
}

export type KerasRecurrentKind = 'GRU' | 'LSTM' | 'SimpleRNN';
export type KerasMergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface KerasRecurrentOptions {
  kind: KerasRecurrentKind;
  inputSize: number;
  units: number;
  useBias?: boolean;
  /** GRU: Keras `reset_after` (default false, TF.js's only form). */
  resetAfter?: boolean;
  /** Default 'tanh'. */
  activation?: string;
  /** Default 'sigmoid' (TF.js layers default to 'hard_sigmoid'). Not used by SimpleRNN. */
  recurrentActivation?: string;
  /** All outputs [B, T, ·] (else the last, [B, ·]). Default false. */
  returnSequences?: boolean;
  /** Process the sequence in reverse (the outputs stay in processing order, as Keras). */
  goBackwards?: boolean;
  /** Two directions (Keras `Bidirectional`), merged by `mergeMode` (default 'concat'). */
  bidirectional?: boolean;
  mergeMode?: KerasMergeMode;
}

/**
 * A Keras recurrent layer over batch-first input [B, T, F]: the PyTorch module `rnn`
 * (`nn.GRU` / `nn.LSTM` / `nn.RNN`, PyTorch's parameter names and gate order) run with Keras's
 * output conventions. With Keras's default activations (tanh, and sigmoid for the gates;
 * SimpleRNN tanh or relu) it is that module's fused op; other activations (TF.js's default
 * hard_sigmoid gates, for one) run the same equations step by step with ordinary ops.
 */
export class KerasRecurrent extends Module {
  readonly kind: KerasRecurrentKind;
  readonly units: number;
  readonly activation: string;
  readonly recurrentActivation: string;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  readonly mergeMode: KerasMergeMode;
  readonly rnn: RNNBase;
  /** Whether `rnn`'s own forward computes the layer (standard activations). */
  readonly fused: boolean;

  constructor(options: KerasRecurrentOptions) {
    super();
    const o = options;
    this.kind = o.kind;
    this.units = o.units;
    this.activation = o.activation ?? 'tanh';
    this.recurrentActivation = o.recurrentActivation ?? 'sigmoid';
    this.returnSequences = o.returnSequences ?? false;
    this.goBackwards = o.goBackwards ?? false;
    this.mergeMode = o.mergeMode ?? 'concat';
    const where = `${o.kind}`;
    for (const a of o.kind === 'SimpleRNN' ? [this.activation] : [this.activation, this.recurrentActivation]) {
      if (!(a in KERAS_ACTIVATIONS)) throw new ValueError(`${where}: activation '${a}' is not supported (supported: ${Object.keys(KERAS_ACTIVATIONS).join(', ')})`);
    }
    if (!['concat', 'sum', 'mul', 'ave'].includes(this.mergeMode)) throw new ValueError(`Bidirectional: merge_mode '${String(this.mergeMode)}' is not supported`);
    const common = { batchFirst: true, bias: o.useBias ?? true, bidirectional: o.bidirectional ?? false };
    if (o.kind === 'GRU') {
      this.rnn = new GRU(o.inputSize, o.units, { ...common, resetAfter: o.resetAfter ?? false });
      this.fused = this.activation === 'tanh' && this.recurrentActivation === 'sigmoid';
    } else if (o.kind === 'LSTM') {
      this.rnn = new LSTM(o.inputSize, o.units, common);
      this.fused = this.activation === 'tanh' && this.recurrentActivation === 'sigmoid';
    } else {
      const fusedAct = this.activation === 'tanh' || this.activation === 'relu';
      this.rnn = new RNN(o.inputSize, o.units, { ...common, nonlinearity: this.activation === 'relu' ? 'relu' : 'tanh' });
      this.fused = fusedAct;
    }
  }

  /** `x` [B, T, F] → [B, T, H'] with `returnSequences`, else [B, H'] (H' = 2H for a concatenated Bidirectional). */
  override forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      if (x.ndim !== 3) throw new ValueError(`${this.kind}: expected input [batch, time, features], got [${x.shape.join(', ')}]`);
      const inp = this.goBackwards ? torch.flip(x, [1]) : x;
      const D = this.rnn.bidirectional ? 2 : 1;
      const [seq, last] = this.fused ? this.runFused(inp) : this.runComposed(inp);
      const y = this.returnSequences ? seq : last;
      if (D === 1 || this.mergeMode === 'concat') return y;
      const [a, b] = torch.chunk(y, 2, -1) as [Tensor, Tensor];
      if (this.mergeMode === 'sum') return torch.add(a, b);
      if (this.mergeMode === 'mul') return torch.mul(a, b);
      return torch.mul(torch.add(a, b), 0.5);
    });
  }

  /** [all outputs [B, T, D·H], last outputs [B, D·H]] from the module's fused op. */
  private runFused(x: Tensor): [Tensor, Tensor] {
    const [out, state] = (this.rnn as GRU).call(x) as [Tensor, Tensor | [Tensor, Tensor]];
    const hN = Array.isArray(state) ? state[0] : state;
    // the backward direction's last output is its state after x_0, not out[:, T − 1]
    const last = this.rnn.bidirectional ? torch.cat([torch.select(hN, 0, 0), torch.select(hN, 0, 1)], -1) : torch.select(hN, 0, 0);
    return [out, last];
  }

  /** The same equations step by step, with Keras's activations. */
  private runComposed(x: Tensor): [Tensor, Tensor] {
    const D = this.rnn.bidirectional ? 2 : 1;
    const seqs: Tensor[] = [];
    const lasts: Tensor[] = [];
    for (let d = 0; d < D; d++) {
      const [seq, last] = this.direction(x, d);
      seqs.push(seq);
      lasts.push(last);
    }
    return D === 1 ? [seqs[0]!, lasts[0]!] : [torch.cat(seqs, -1), torch.cat(lasts, -1)];
  }

  private direction(x: Tensor, d: number): [Tensor, Tensor] {
    const w = this.rnn.layerWeights(0, d);
    const act = KERAS_ACTIVATIONS[this.activation]!;
    const rec = KERAS_ACTIVATIONS[this.recurrentActivation]!;
    const H = this.units;
    const [B, T] = x.shape as [number, number];
    const lin = (v: Tensor, wt: Parameter | Tensor, b: Tensor | null): Tensor => (b ? torch.add(torch.matmul(v, torch.t(wt)), b) : torch.matmul(v, torch.t(wt)));
    const gx = lin(x, w.wih, w.bih);
    let h = torch.zeros([B, H], { dtype: x.dtype, device: x.device });
    let c = this.kind === 'LSTM' ? torch.zeros([B, H], { dtype: x.dtype, device: x.device }) : null;
    const outs: Tensor[] = new Array(T);
    const blk = (t: Tensor, g: number): Tensor => torch.narrow(t, -1, g * H, H);
    for (let s = 0; s < T; s++) {
      const t = d === 1 ? T - 1 - s : s;
      const gxt = torch.select(gx, 1, t);
      if (this.kind === 'GRU') {
        const resetAfter = (this.rnn as GRU).resetAfter;
        const wRz = torch.narrow(w.whh, 0, 0, 2 * H);
        const wN = torch.narrow(w.whh, 0, 2 * H, H);
        const bRz = w.bhh ? torch.narrow(w.bhh, 0, 0, 2 * H) : null;
        const bN = w.bhh ? torch.narrow(w.bhh, 0, 2 * H, H) : null;
        const ghRz = lin(h, wRz, bRz);
        const r = rec(torch.add(blk(gxt, 0), blk(ghRz, 0)));
        const z = rec(torch.add(blk(gxt, 1), blk(ghRz, 1)));
        const ghN = resetAfter ? torch.mul(r, lin(h, wN, bN)) : lin(torch.mul(r, h), wN, bN);
        const n = act(torch.add(blk(gxt, 2), ghN));
        h = torch.add(n, torch.mul(z, torch.sub(h, n)));
      } else if (this.kind === 'LSTM') {
        const g = torch.add(gxt, lin(h, w.whh, w.bhh));
        const i = rec(blk(g, 0));
        const f = rec(blk(g, 1));
        const cc = act(blk(g, 2));
        const o = rec(blk(g, 3));
        c = torch.add(torch.mul(f, c!), torch.mul(i, cc));
        h = torch.mul(o, act(c));
      } else {
        h = act(torch.add(gxt, lin(h, w.whh, w.bhh)));
      }
      outs[t] = h;
    }
    return [torch.stack(outs, 1), h];
  }

  override extraRepr(): string {
    const parts = [`kind=${this.kind}`, `units=${this.units}`];
    if (!this.fused) parts.push(`activation=${this.activation}`, `recurrent_activation=${this.recurrentActivation}`);
    if (this.returnSequences) parts.push('return_sequences=True');
    if (this.goBackwards) parts.push('go_backwards=True');
    if (this.rnn.bidirectional) parts.push(`merge_mode=${this.mergeMode}`);
    return parts.join(', ');
  }
}
