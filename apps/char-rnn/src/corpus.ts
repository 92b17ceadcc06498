/** The text: read strictly as UTF-8, its characters as a vocabulary, split into training and validation ids. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export class InputError extends Error {
  override name = 'InputError';
}

const EXAMPLES = { 'moby-dick': '../data/moby-dick.txt' } as const;
export const EXAMPLE_NAMES = Object.keys(EXAMPLES);

/** UTF-8 text; invalid bytes are refused with their line number (`'replace'` turns them into U+FFFD). */
export function decodeUtf8(bytes: Uint8Array, where: string, errors: 'strict' | 'replace' = 'strict'): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: errors === 'strict' }).decode(bytes);
  } catch {
    // find the first line that does not decode
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, i));
        } catch {
          break;
        }
        line++;
        start = i + 1;
      }
    }
    throw new InputError(`${where} line ${line}: invalid UTF-8 (use --encoding-errors replace to read it anyway)`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export async function loadText(options: { example?: string; text?: string; encodingErrors?: 'strict' | 'replace' }): Promise<{ name: string; text: string }> {
  if (options.example !== undefined && options.text !== undefined) throw new InputError('give --example or --text, not both');
  if (options.text !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(options.text);
    } catch (e) {
      throw new InputError(`--text: cannot read ${options.text} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    return { name: options.text, text: decodeUtf8(bytes, options.text, options.encodingErrors) };
  }
  const name = options.example ?? 'moby-dick';
  const file = EXAMPLES[name as keyof typeof EXAMPLES];
  if (!file) throw new InputError(`--example: unknown example '${name}' (known: ${EXAMPLE_NAMES.join(', ')})`);
  return { name, text: decodeUtf8(await readFile(fileURLToPath(new URL(file, import.meta.url))), name) };
}

/** Characters (code points) in order of first appearance sorted by code point: a stable vocabulary. */
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
      if (id === undefined) throw new InputError(`${what}: the character ${JSON.stringify(c)} is not in the model's vocabulary`);
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
