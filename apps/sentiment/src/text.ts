/** Texts to token ids: torchtext's `basic_english` and a `Vocab` (no Node APIs: the browser playground uses it too). */
import * as torch from 'torchlet';

const data = torch.utils.data;

export const PAD = '<pad>';
export const UNK = '<unk>';

/** Token ids of a text, at most `maxLength`, never empty (an empty text is one `<unk>`). */
export function encode(vocab: torch.utils.data.Vocab, text: string, maxLength: number): Int32Array {
  const ids = vocab.lookupIndices(data.basicEnglish(text).slice(0, maxLength));
  return Int32Array.from(ids.length ? ids : [vocab.indexOf(UNK)]);
}

/** `<pad>` (0) and `<unk>` (1), then the words seen at least `minFreq` times, most frequent first. */
export function buildVocab(texts: readonly string[], options: { minFreq: number; maxSize: number }): torch.utils.data.Vocab {
  return data.Vocab.build(
    texts.map((t) => data.basicEnglish(t)),
    { minFreq: options.minFreq, maxSize: options.maxSize, specials: [PAD, UNK], defaultToken: UNK },
  );
}
