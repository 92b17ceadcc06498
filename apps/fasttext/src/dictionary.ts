/**
 * fastText's dictionary for supervised training (src/dictionary.cc without subwords): words
 * counted over the training lines, each line ending with the end-of-sentence token `</s>`,
 * kept when seen at least `minCount` times and ordered by descending count; labels likewise
 * (`minCountLabel`). A line's input rows are its in-vocabulary word ids followed by
 * `nwords + bucket id` of each hashed word n-gram (fastText's `addWordNgrams`, bit for bit,
 * from @torchlet/data: out-of-vocabulary words still take part in n-grams).
 */
import { Vocab, fastTextHash, wordNgramBuckets } from '@torchlet/data';
import type { Example } from './formats.js';

export const EOS = '</s>';
const WS = /[ \n\r\t\v\f\0]+/;

/** fastText's tokens of a text: whitespace-separated words, then `</s>`. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const t of text.split(WS)) if (t.length > 0) out.push(t);
  out.push(EOS);
  return out;
}

export interface DictionaryOptions {
  minCount: number;
  minCountLabel: number;
  wordNgrams: number;
  bucket: number;
}

export interface DictionaryJSON {
  readonly words: readonly string[];
  readonly labels: readonly string[];
  /** Tokens in the training data, labels included (fastText's `ntokens`, the LR schedule's unit). */
  readonly ntokens: number;
}

function sortedByCount(counts: Map<string, number>, min: number): string[] {
  return [...counts.entries()]
    .filter(([, c]) => c >= min)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([w]) => w);
}

export class Dictionary {
  readonly words: Vocab;
  readonly labels: Vocab;
  readonly ntokens: number;
  readonly wordNgrams: number;
  readonly bucket: number;

  constructor(json: DictionaryJSON, options: Pick<DictionaryOptions, 'wordNgrams' | 'bucket'>) {
    this.words = new Vocab(json.words);
    this.labels = new Vocab(json.labels);
    this.ntokens = json.ntokens;
    this.wordNgrams = options.wordNgrams;
    this.bucket = options.bucket;
  }

  static build(examples: readonly Example[], options: DictionaryOptions): Dictionary {
    const words = new Map<string, number>();
    const labels = new Map<string, number>();
    let ntokens = 0;
    for (const ex of examples) {
      for (const w of tokenize(ex.text)) words.set(w, (words.get(w) ?? 0) + 1);
      for (const l of ex.labels) labels.set(l, (labels.get(l) ?? 0) + 1);
      ntokens += tokenize(ex.text).length + ex.labels.length;
    }
    return new Dictionary({ words: sortedByCount(words, options.minCount), labels: sortedByCount(labels, options.minCountLabel), ntokens }, options);
  }

  get nwords(): number {
    return this.words.length;
  }

  get nlabels(): number {
    return this.labels.length;
  }

  /** Input rows of the embedding matrix: words + n-gram buckets. */
  get rows(): number {
    return this.nwords + (this.wordNgrams > 1 ? this.bucket : 0);
  }

  /** A text's input rows (word ids, then `nwords + bucket` per word n-gram) and its word count. */
  encode(text: string): { rows: Int32Array; ntokens: number } {
    const tokens = tokenize(text);
    const hashes = new Uint32Array(tokens.length);
    const ids: number[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      hashes[i] = fastTextHash(t);
      const id = this.words.has(t) ? this.words.indexOf(t) : -1;
      if (id >= 0) ids.push(id);
    }
    const grams = this.wordNgrams > 1 ? wordNgramBuckets(hashes, this.wordNgrams, this.bucket) : [];
    const rows = new Int32Array(ids.length + grams.length);
    rows.set(ids);
    const nw = this.nwords;
    for (let i = 0; i < grams.length; i++) rows[ids.length + i] = nw + grams[i]!;
    return { rows, ntokens: tokens.length };
  }

  /** Label ids of an example (unknown labels are dropped). */
  labelIds(labels: readonly string[]): number[] {
    const out: number[] = [];
    for (const l of labels) if (this.labels.has(l)) out.push(this.labels.indexOf(l));
    return out;
  }

  toJSON(): DictionaryJSON {
    return { words: this.words.getItos(), labels: this.labels.getItos(), ntokens: this.ntokens };
  }
}
