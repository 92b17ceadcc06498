/**
 * The fastText classifier (Joulin et al., "Bag of Tricks for Efficient Text Classification"):
 * the mean of a line's word and word-n-gram embeddings (`nn.EmbeddingBag`, mode mean, with a
 * row-sparse gradient) → a linear layer without bias (fastText's output matrix) → softmax.
 * Initialised as fastText does: input rows uniform in ±1/dim, output matrix zeros.
 */
import { EmbeddingBag, Linear, Module, init } from '@torchlet/nn';
import { Generator, empty, type Tensor } from '@torchlet/tensor';

export class FastTextModel extends Module {
  readonly embedding: EmbeddingBag;
  readonly fc: Linear;

  constructor(rows: number, dim: number, nlabels: number, options: { seed?: number; init?: boolean } = {}) {
    super();
    const weight = empty([rows, dim]);
    if (options.init ?? true) init.uniform_(weight, -1 / dim, 1 / dim, { generator: new Generator().manualSeed(options.seed ?? 0) });
    this.embedding = new EmbeddingBag(rows, dim, { mode: 'mean', sparse: true, weight });
    this.fc = new Linear(dim, nlabels, { bias: false });
    if (options.init ?? true) init.zeros_(this.fc.weight);
  }

  /** Logits `[bags, nlabels]` for the bags of `indices` starting at `offsets`. */
  override forward(indices: Tensor, offsets: Tensor): Tensor {
    const h = this.embedding.call(indices, offsets);
    try {
      return this.fc.call(h);
    } finally {
      h.dispose();
    }
  }
}
