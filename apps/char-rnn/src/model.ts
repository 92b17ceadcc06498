/** The character model: Embedding → GRU/LSTM (stacked, batch first) → Linear over the vocabulary. */
import * as torch from 'torchlet';

type Tensor = torch.Tensor;
const { nn } = torch;

export interface ModelConfig {
  cell: 'gru' | 'lstm';
  vocab: number;
  embed: number;
  hidden: number;
  layers: number;
  dropout: number;
}

/** GRU: `h [layers, B, hidden]`; LSTM: `[h, c]`. */
export type Hidden = Tensor | [Tensor, Tensor];

export class CharRNN extends nn.Module {
  embedding: torch.nn.Embedding;
  rnn: torch.nn.GRU | torch.nn.LSTM;
  decoder: torch.nn.Linear;

  constructor(readonly config: ModelConfig) {
    super();
    this.embedding = new nn.Embedding(config.vocab, config.embed);
    const options = { numLayers: config.layers, batchFirst: true, dropout: config.layers > 1 ? config.dropout : 0 };
    this.rnn = config.cell === 'gru' ? new nn.GRU(config.embed, config.hidden, options) : new nn.LSTM(config.embed, config.hidden, options);
    this.decoder = new nn.Linear(config.hidden, config.vocab);
  }

  /** Ids `[B, T]` and the carried state → logits `[B, T, vocab]` and the new state. */
  override forward(ids: Tensor, hidden: Hidden | null = null): [Tensor, Hidden] {
    return torch.tidy(() => {
      const x = this.embedding.call(ids);
      const [out, h] = this.rnn instanceof nn.GRU ? this.rnn.call(x, hidden as Tensor | null) : this.rnn.call(x, hidden as [Tensor, Tensor] | null);
      return [this.decoder.call(out), h];
    });
  }
}

/** The state with its graph cut (truncated backpropagation through time). */
export function detachHidden(h: Hidden): Hidden {
  return Array.isArray(h) ? [h[0].detach(), h[1].detach()] : h.detach();
}

export function disposeHidden(h: Hidden | null): void {
  if (h === null) return;
  for (const t of Array.isArray(h) ? h : [h]) t.dispose();
}

export function hiddenTensors(h: Hidden | null): Tensor[] {
  return h === null ? [] : Array.isArray(h) ? h : [h];
}
