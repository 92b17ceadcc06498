/**
 * The classifier: token ids → `nn.Embedding` → `nn.GRU` (bidirectional, 1–2 layers) over a
 * packed batch, so padding never enters the recurrence → the last layer's final states of
 * both directions → `nn.Linear` to the labels. PyTorch's state-dict keys throughout.
 */
import * as torch from 'torchlet';

type Tensor = torch.Tensor;
const { nn } = torch;

export interface ModelConfig {
  vocab: number;
  embed: number;
  hidden: number;
  layers: number;
  bidirectional: boolean;
  dropout: number;
  classes: number;
}

export class SentimentGRU extends nn.Module {
  embedding: torch.nn.Embedding;
  gru: torch.nn.GRU;
  fc: torch.nn.Linear;

  constructor(readonly config: ModelConfig) {
    super();
    this.embedding = new nn.Embedding(config.vocab, config.embed, { paddingIdx: 0 });
    this.gru = new nn.GRU(config.embed, config.hidden, {
      numLayers: config.layers,
      bidirectional: config.bidirectional,
      batchFirst: true,
      dropout: config.layers > 1 ? config.dropout : 0,
    });
    this.fc = new nn.Linear(config.hidden * (config.bidirectional ? 2 : 1), config.classes);
  }

  /** `padded [B, T]` int32 ids (0 = padding) and `lengths [B]` (CPU int32) → logits `[B, classes]`. */
  override forward(padded: Tensor, lengths: Tensor): Tensor {
    return torch.tidy(() => {
      const packed = nn.utils.rnn.packPaddedSequence(this.embedding.call(padded), lengths, { batchFirst: true, enforceSorted: false });
      const [, hN] = this.gru.call(packed); // [layers · directions, B, hidden]
      const directions = this.config.bidirectional ? 2 : 1;
      const last = torch.narrow(hN, 0, hN.shape[0]! - directions, directions); // the last layer
      return this.fc.call(torch.cat(torch.unbind(last, 0), 1));
    });
  }
}
