/**
 * `SRU` — the Simple Recurrent Unit (Lei et al. 2018), with the interface of `nn.GRU`.
 * PyTorch has no SRU; the equations are the paper's (see sru-op.ts). Per layer and
 * direction: one matmul U = x Wᵀ for every timestep (W is [k·H, in]: blocks x̃, f, r, plus a
 * highway projection when in ≠ H), then one `sruLayer` op whose time loop is elementwise only.
 *
 * Parameters (`_reverse` for the second direction): `weight_l{k}` [k·H, in],
 * `weight_c_l{k}` [2H] (v_f, v_r), `bias_l{k}` [2H] (b_f, b_r), all U(−1/√H, 1/√H) like
 * PyTorch's recurrent layers. `forward(input, c0?)` → `[output, cN]` with c0/cN [L·D, B, H].
 */
import { isGradEnabled } from '@torchlet/autograd';
import {
  RuntimeError,
  ShapeError,
  ValueError,
  cat,
  dispatch,
  empty,
  indexSelect,
  matmul,
  reshape,
  select,
  squeeze,
  stack,
  t as transpose2d,
  tidy,
  transpose,
  unsqueeze,
  zeros,
  type DType,
  type DeviceName,
  type Tensor,
} from '@torchlet/tensor';
import { dropout as dropoutFn } from '../functional/dropout.js';
import { uniform_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { PackedSequence } from './packed.js';
import { sruLayerOp, type SruLayerAttrs } from './sru-op.js';

/** Options of `SRU` (those of `nn.GRU` that apply). */
export interface SRUOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Learn b_f, b_r (default true; otherwise they are zero). */
  bias?: boolean;
  /** Input and output are [B, T, *] instead of [T, B, *] (default false). */
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

/** One SRU layer-direction on packed rows x [N, in]; returns h [N, H] and cN [B, H]. */
export function sruLayer(
  x: Tensor,
  weight: Tensor,
  weightC: Tensor,
  bias: Tensor,
  c0: Tensor,
  batchSizes: readonly number[],
  reverse: boolean,
): { h: Tensor; cN: Tensor } {
  const H = c0.shape[1]!;
  const k = weight.shape[0]! / H;
  if (k !== 3 && k !== 4) throw new ShapeError(`SRU: weight must have 3H or 4H rows, got ${weight.shape[0]} (H = ${H})`);
  if (k === 3 && x.shape[1] !== H) throw new ShapeError(`SRU: a 3H-row weight needs input size ${H}, got ${x.shape[1]}`);
  const u = matmul(x, transpose2d(weight));
  const inputs = k === 3 ? [u, x, weightC, bias, c0] : [u, weightC, bias, c0];
  const attrs: SruLayerAttrs = { batchSizes, reverse, k, saveForBackward: isGradEnabled() && inputs.some((t) => t.requiresGrad) };
  const outs = dispatch(sruLayerOp, inputs, attrs) as Tensor[];
  u.dispose();
  outs[2]!.dispose();
  return { h: outs[0]!, cN: outs[1]! };
}

/** The Simple Recurrent Unit (Lei et al. 2018) with `nn.GRU`'s interface: `forward(input, c0?)` → `[output, cN]`. Not in PyTorch. */
export class SRU extends Module {
  /** Features of the input x. */
  readonly inputSize: number;
  /** Features of the state c and the output h. */
  readonly hiddenSize: number;
  /** Stacked layers. */
  readonly numLayers: number;
  /** Whether b_f and b_r are learned. */
  readonly bias: boolean;
  /** Input and output are [B, T, *] instead of [T, B, *]. */
  readonly batchFirst: boolean;
  /** Dropout probability between layers (training mode only). */
  readonly dropout: number;
  /** Whether each layer runs in both directions. */
  readonly bidirectional: boolean;

  constructor(inputSize: number, hiddenSize: number, options: SRUOptions = {}) {
    super();
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = options.numLayers ?? 1;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    this.bidirectional = options.bidirectional ?? false;
    for (const [k, v] of [['input_size', inputSize], ['hidden_size', hiddenSize], ['num_layers', this.numLayers]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ValueError(`${k} should be a positive integer (got ${v}) in SRU`);
    }
    if (!(this.dropout >= 0 && this.dropout <= 1)) {
      throw new ValueError('dropout should be a number in range [0, 1] representing the probability of an element being zeroed');
    }
    const f = { dtype: options.dtype, device: options.device };
    const D = this.bidirectional ? 2 : 1;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const inSize = layer === 0 ? inputSize : hiddenSize * D;
      const k = inSize === hiddenSize ? 3 : 4;
      for (let d = 0; d < D; d++) {
        const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        this.registerParameter(`weight${sfx}`, new Parameter(empty([k * hiddenSize, inSize], f)));
        this.registerParameter(`weight_c${sfx}`, new Parameter(empty([2 * hiddenSize], f)));
        if (this.bias) this.registerParameter(`bias${sfx}`, new Parameter(empty([2 * hiddenSize], f)));
      }
    }
    this.resetParameters();
  }

  /** Re-draws every parameter from U(−1/√H, 1/√H). */
  resetParameters(): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters({ recurse: false })) uniform_(p, -stdv, stdv);
  }

  /** `forward(input, c0?)` → `[output, cN]`; input [T, B, in] (batchFirst [B, T, in]), [T, in] or a PackedSequence. */
  override forward(input: PackedSequence, c0?: Tensor | null): [PackedSequence, Tensor];
  override forward(input: Tensor, c0?: Tensor | null): [Tensor, Tensor];
  override forward(input: Tensor | PackedSequence, c0?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const D = this.bidirectional ? 2 : 1;
    const L = this.numLayers;
    const H = this.hiddenSize;
    const packed = input instanceof PackedSequence ? input : null;
    const r = tidy(() => {
      let x: Tensor;
      let batchSizes: number[];
      let B: number;
      let T = 0;
      let unbatched = false;
      if (packed) {
        x = packed.data;
        batchSizes = [...packed.batchSizesArray];
        B = batchSizes[0] ?? 0;
      } else {
        const inp = input as Tensor;
        if (inp.ndim !== 2 && inp.ndim !== 3) throw new ShapeError(`SRU: Expected input to be 2D or 3D, got ${inp.ndim}D tensor instead`);
        unbatched = inp.ndim === 2;
        const seq = unbatched ? unsqueeze(inp, 1) : this.batchFirst ? transpose(inp, 0, 1) : inp;
        T = seq.shape[0]!;
        B = seq.shape[1]!;
        x = reshape(seq, [T * B, seq.shape[2]!]);
        batchSizes = new Array<number>(T).fill(B);
      }
      if (x.shape[1] !== this.inputSize) throw new RuntimeError(`input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[1]}`);
      let c = c0 ? (unbatched ? unsqueeze(c0, 1) : c0) : zeros([L * D, B, H], { dtype: x.dtype, device: x.device });
      if (c.ndim !== 3 || c.shape[0] !== L * D || c.shape[1] !== B || c.shape[2] !== H) {
        throw new RuntimeError(`Expected hidden size (${L * D}, ${B}, ${H}), got [${(unbatched && c0 ? c0.shape : c.shape).join(', ')}]`);
      }
      if (packed?.sortedIndices && c0) c = indexSelect(c, 1, packed.sortedIndices);
      const cs: Tensor[] = [];
      let layerInput = x;
      for (let layer = 0; layer < L; layer++) {
        const outs: Tensor[] = [];
        for (let d = 0; d < D; d++) {
          const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
          const w = this.getParameter(`weight${sfx}`);
          const b = this.bias ? this.getParameter(`bias${sfx}`) : zeros([2 * H], { dtype: x.dtype, device: x.device });
          const res = sruLayer(layerInput, w, this.getParameter(`weight_c${sfx}`), b, select(c, 0, layer * D + d), batchSizes, d === 1);
          outs.push(res.h);
          cs.push(res.cN);
        }
        layerInput = D === 1 ? outs[0]! : cat(outs, 1);
        if (this.dropout > 0 && this.training && layer < L - 1) layerInput = dropoutFn(layerInput, this.dropout);
      }
      let cN = stack(cs, 0);
      let out = layerInput;
      if (packed) {
        if (packed.unsortedIndices) cN = indexSelect(cN, 1, packed.unsortedIndices);
      } else {
        out = reshape(out, [T, B, D * H]);
        if (unbatched) {
          out = squeeze(out, 1);
          cN = squeeze(cN, 1);
        } else if (this.batchFirst) out = transpose(out, 0, 1);
      }
      return { out, cN };
    });
    return [packed ? packed.withData(r.out) : r.out, r.cN];
  }


  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ', bias=False';
    if (this.batchFirst) s += ', batch_first=True';
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += ', bidirectional=True';
    return s;
  }
}

