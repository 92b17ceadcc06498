/** The text: read strictly as UTF-8, its characters as a vocabulary, split into training and validation ids. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export { CharVocab, VocabError, splitIds } from './vocab.js';

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
