/** The characters of a text as a vocabulary (no Node APIs: the browser playground uses it too). */

/** Raised for a character the vocabulary does not have, naming where it came from. */
export class VocabError extends Error {
  override name = 'VocabError';
}

/** Characters (code points) sorted by code point: a stable vocabulary. */
export class CharVocab {
  readonly chars: string[];
  readonly #index: Map<string, number>;

  constructor(chars: readonly string[]) {
    this.chars = [...chars];
    this.#index = new Map(this.chars.map((c, i) => [c, i]));
  }

  static fromText(text: string): CharVocab {
    return new CharVocab([...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  get size(): number {
    return this.chars.length;
  }

  /** Ids of `text`; a character outside the vocabulary is refused (`what` names the source). */
  encode(text: string, what: string): Int32Array {
    const chars = [...text];
    const ids = new Int32Array(chars.length);
    chars.forEach((c, i) => {
      const id = this.#index.get(c);
      if (id === undefined) throw new VocabError(`${what}: the character ${JSON.stringify(c)} is not in the model's vocabulary`);
      ids[i] = id;
    });
    return ids;
  }

  decode(ids: Iterable<number>): string {
    let s = '';
    for (const id of ids) s += this.chars[id]!;
    return s;
  }
}

/** Training ids and the held-out tail (`valFraction` of the text) for bits per character. */
export function splitIds(ids: Int32Array, valFraction: number): { train: Int32Array; val: Int32Array } {
  const nVal = Math.floor(ids.length * valFraction);
  return { train: ids.subarray(0, ids.length - nVal), val: ids.subarray(ids.length - nVal) };
}
