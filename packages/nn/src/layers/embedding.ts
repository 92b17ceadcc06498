/** `nn.Embedding`, `nn.EmbeddingBag`. */
import { noGrad } from '@torchlet/autograd';
import { ShapeError, ValueError, clone, empty, fill_, fmtShape, select, type Tensor } from '@torchlet/tensor';
import { embedding, embeddingBag, normalizePaddingIdx, type EmbeddingBagMode } from '../functional/embedding.js';
import { normal_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyFloat } from '../repr.js';
import { checkSize, type FactoryOptions } from './linear.js';

/** Options of `Embedding` (and `EmbeddingBag`). */
export interface EmbeddingLayerOptions extends FactoryOptions {
  /** A row whose gradient is always zero and which is initialised to zeros (negative counts from the end). */
  paddingIdx?: number | null;
  /** Renormalise looked-up rows whose `normType`-norm exceeds this, in place (default null: never). */
  maxNorm?: number | null;
  /** The p of the `maxNorm` norm (default 2). */
  normType?: number;
  /** Scale gradients by the inverse frequency of each index in the batch (default false). */
  scaleGradByFreq?: boolean;
  /** Row-sparse gradient for `weight` (the fastText path). */
  sparse?: boolean;
  /** Use this tensor as the weight (PyTorch's `_weight`); it becomes the parameter. */
  weight?: Tensor;
  /** With `weight`: freeze it (requiresGrad false). */
  freeze?: boolean;
}

function zeroPaddingRow(weight: Tensor, paddingIdx: number | null): void {
  if (paddingIdx === null) return;
  noGrad(() => {
    const row = select(weight, 0, paddingIdx);
    try {
      fill_(row, 0);
    } finally {
      row.dispose();
    }
  });
}

function checkWeight(op: string, w: Tensor, n: number, d: number): void {
  if (w.ndim !== 2 || w.shape[0] !== n || w.shape[1] !== d) {
    throw new ShapeError(`${op}: Shape of weight does not match num_embeddings and embedding_dim (expected [${n}, ${d}], got ${fmtShape(w.shape)})`);
  }
}

function embeddingRepr(self: { numEmbeddings: number; embeddingDim: number; paddingIdx: number | null; maxNorm: number | null; normType: number; scaleGradByFreq: boolean; sparse: boolean }, mode?: string): string {
  let s = `${self.numEmbeddings}, ${self.embeddingDim}`;
  if (self.maxNorm !== null) s += `, max_norm=${pyFloat(self.maxNorm)}`;
  if (self.normType !== 2) s += `, norm_type=${pyFloat(self.normType)}`;
  if (self.scaleGradByFreq) s += ', scale_grad_by_freq=True';
  if (mode !== undefined) s += `, mode='${mode}'`;
  if (self.paddingIdx !== null) s += `, padding_idx=${self.paddingIdx}`;
  if (self.sparse && mode === undefined) s += ', sparse=True';
  return s;
}

/**
 * `nn.Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
 * scale_grad_by_freq=False, sparse=False)`: a lookup table initialised from N(0, 1), with the
 * padding row zeroed.
 */
export class Embedding extends Module {
  /** Rows of the table (the vocabulary size). */
  readonly numEmbeddings: number;
  /** Columns of the table (the vector size). */
  readonly embeddingDim: number;
  /** The padding row, normalised to non-negative (null for none). */
  readonly paddingIdx: number | null;
  /** Max-norm renormalisation bound (null for none). */
  readonly maxNorm: number | null;
  /** The p of the `maxNorm` norm. */
  readonly normType: number;
  /** Whether gradients are scaled by inverse index frequency. */
  readonly scaleGradByFreq: boolean;
  /** Whether `weight` gets a row-sparse gradient. */
  readonly sparse: boolean;
  /** The table [numEmbeddings, embeddingDim], initialised from N(0, 1). */
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingLayerOptions = {}) {
    super();
    checkSize('Embedding', 'num_embeddings', numEmbeddings);
    checkSize('Embedding', 'embedding_dim', embeddingDim);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = normalizePaddingIdx(options.paddingIdx, numEmbeddings);
    this.maxNorm = options.maxNorm ?? null;
    this.normType = options.normType ?? 2;
    this.scaleGradByFreq = options.scaleGradByFreq ?? false;
    this.sparse = options.sparse ?? false;
    if (options.weight) {
      checkWeight('Embedding', options.weight, numEmbeddings, embeddingDim);
      this.weight = new Parameter(options.weight, !(options.freeze ?? false));
    } else {
      this.weight = new Parameter(empty([numEmbeddings, embeddingDim], { dtype: options.dtype, device: options.device }));
      this.resetParameters();
    }
  }

  /** Re-draws `weight` from N(0, 1) and zeroes the padding row. */
  resetParameters(): void {
    normal_(this.weight);
    zeroPaddingRow(this.weight, this.paddingIdx);
  }

  /**
   * `Embedding.from_pretrained(embeddings, freeze=True, …)`: a layer whose weight is a copy of
   * `embeddings` (frozen unless `freeze: false`).
   */
  static fromPretrained(embeddings: Tensor, options: Omit<EmbeddingLayerOptions, 'weight' | 'dtype' | 'device'> = {}): Embedding {
    if (embeddings.ndim !== 2) throw new ShapeError('Embeddings parameter is expected to be 2-dimensional');
    const [n, d] = embeddings.shape as [number, number];
    return new Embedding(n, d, { ...options, weight: clone(embeddings), freeze: options.freeze ?? true });
  }

  override forward(input: Tensor): Tensor {
    return embedding(input, this.weight, {
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
      sparse: this.sparse,
    });
  }

  override extraRepr(): string {
    return embeddingRepr(this);
  }
}

/** Options of `EmbeddingBag`. */
export interface EmbeddingBagLayerOptions extends EmbeddingLayerOptions {
  /** How a bag is reduced: `'sum'`, `'mean'` (default) or `'max'`. */
  mode?: EmbeddingBagMode;
  /** `offsets` has one more entry, the end of the last bag (default false). */
  includeLastOffset?: boolean;
}

/**
 * `nn.EmbeddingBag(num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
 * scale_grad_by_freq=False, mode='mean', sparse=False, include_last_offset=False,
 * padding_idx=None)`: sums, means or maxes of bags of embeddings without materialising
 * the per-token outputs. `forward(input, offsets?, perSampleWeights?)`.
 */
export class EmbeddingBag extends Module {
  /** Rows of the table (the vocabulary size). */
  readonly numEmbeddings: number;
  /** Columns of the table (the vector size). */
  readonly embeddingDim: number;
  /** The padding row, left out of every bag (null for none). */
  readonly paddingIdx: number | null;
  /** Max-norm renormalisation bound (null for none). */
  readonly maxNorm: number | null;
  /** The p of the `maxNorm` norm. */
  readonly normType: number;
  /** Whether gradients are scaled by inverse index frequency. */
  readonly scaleGradByFreq: boolean;
  /** Whether `weight` gets a row-sparse gradient (the fastText path). */
  readonly sparse: boolean;
  /** How a bag is reduced: `'sum'`, `'mean'` or `'max'`. */
  readonly mode: EmbeddingBagMode;
  /** Whether `offsets` includes the end of the last bag. */
  readonly includeLastOffset: boolean;
  /** The table [numEmbeddings, embeddingDim], initialised from N(0, 1). */
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingBagLayerOptions = {}) {
    super();
    checkSize('EmbeddingBag', 'num_embeddings', numEmbeddings);
    checkSize('EmbeddingBag', 'embedding_dim', embeddingDim);
    const mode = options.mode ?? 'mean';
    if (mode !== 'sum' && mode !== 'mean' && mode !== 'max') throw new ValueError(`mode has to be one of sum, mean or max (got '${String(mode)}')`);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = normalizePaddingIdx(options.paddingIdx, numEmbeddings);
    this.maxNorm = options.maxNorm ?? null;
    this.normType = options.normType ?? 2;
    this.scaleGradByFreq = options.scaleGradByFreq ?? false;
    this.sparse = options.sparse ?? false;
    this.mode = mode;
    this.includeLastOffset = options.includeLastOffset ?? false;
    if (options.weight) {
      checkWeight('EmbeddingBag', options.weight, numEmbeddings, embeddingDim);
      this.weight = new Parameter(options.weight, !(options.freeze ?? false));
    } else {
      this.weight = new Parameter(empty([numEmbeddings, embeddingDim], { dtype: options.dtype, device: options.device }));
      this.resetParameters();
    }
  }

  /** Re-draws `weight` from N(0, 1) and zeroes the padding row. */
  resetParameters(): void {
    normal_(this.weight);
    zeroPaddingRow(this.weight, this.paddingIdx);
  }

  /** `EmbeddingBag.from_pretrained(embeddings, freeze=True, …)` (copies `embeddings`). */
  static fromPretrained(embeddings: Tensor, options: Omit<EmbeddingBagLayerOptions, 'weight' | 'dtype' | 'device'> = {}): EmbeddingBag {
    if (embeddings.ndim !== 2) throw new ShapeError('Embeddings parameter is expected to be 2-dimensional');
    const [n, d] = embeddings.shape as [number, number];
    return new EmbeddingBag(n, d, { ...options, weight: clone(embeddings), freeze: options.freeze ?? true });
  }

  override forward(input: Tensor, offsets?: Tensor | null, perSampleWeights?: Tensor | null): Tensor {
    return embeddingBag(input, this.weight, {
      offsets,
      perSampleWeights,
      mode: this.mode,
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
      sparse: this.sparse,
      includeLastOffset: this.includeLastOffset,
    });
  }

  override extraRepr(): string {
    return embeddingRepr(this, this.mode);
  }
}
