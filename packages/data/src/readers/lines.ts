/** Plain text lines: an incremental splitter (`\n`, `\r\n`, `\r`) and `readLines`. */
import { BomStripper, rawTextChunks, type ChunkOptions, type TextSource } from './source.js';

/**
 * Splits text given in chunks into lines (without their terminators). `push` returns the
 * lines completed by a chunk; `end` returns the last line if the text did not end with a
 * newline. A byte-order mark (U+FEFF) at the start of the text is dropped. Works in browsers
 * (strings only).
 */
export class LineSplitter {
  #rest = '';
  #pendingCR = false;
  readonly #bom = new BomStripper();

  /** Splits the next chunk; returns the lines it completed (without their `\n`, `\r\n` or `\r`). */
  push(chunk: string): string[] {
    let text = this.#bom.strip(chunk);
    if (this.#pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCR = false;
    const lines: string[] = [];
    let start = 0;
    const s = this.#rest + text;
    this.#rest = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 10 || c === 13) {
        lines.push(s.slice(start, i));
        if (c === 13) {
          if (i + 1 < s.length) {
            if (s.charCodeAt(i + 1) === 10) i++;
          } else this.#pendingCR = true;
        }
        start = i + 1;
      }
    }
    this.#rest = s.slice(start);
    return lines;
  }

  /** Finishes the input; returns the last line if it had no line break. */
  end(): string[] {
    const rest = this.#rest;
    this.#rest = '';
    this.#pendingCR = false;
    return rest.length > 0 ? [rest] : [];
  }
}

/** All lines of a string (no trailing empty line for a final newline; a leading BOM dropped). */
export function splitLines(text: string): string[] {
  const s = new LineSplitter();
  return [...s.push(text), ...s.end()];
}

/** Options of `readLines`. */
export interface ReadLinesOptions extends ChunkOptions {
  /** Leave out empty lines (default false). */
  skipEmpty?: boolean;
}

/**
 * Streams a text source line by line.
 *
 * ```ts
 * for await (const line of readLines('corpus.txt')) …
 * ```
 */
export async function* readLines(source: TextSource, options: ReadLinesOptions = {}): AsyncGenerator<string> {
  const splitter = new LineSplitter();
  for await (const chunk of rawTextChunks(source, options)) {
    for (const line of splitter.push(chunk)) if (!options.skipEmpty || line.length > 0) yield line;
  }
  for (const line of splitter.end()) if (!options.skipEmpty || line.length > 0) yield line;
}

/** Streams a text source line by line, with 1-based line numbers. */
export async function* readNumberedLines(source: TextSource, options: ChunkOptions = {}): AsyncGenerator<[number, string]> {
  const splitter = new LineSplitter();
  let n = 0;
  for await (const chunk of rawTextChunks(source, options)) for (const line of splitter.push(chunk)) yield [++n, line];
  for (const line of splitter.end()) yield [++n, line];
}
