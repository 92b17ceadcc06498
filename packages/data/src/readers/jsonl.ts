/** JSON Lines (one JSON value per line; blank lines are skipped). */
import { DataFormatError } from './errors.js';
import { readNumberedLines, splitLines } from './lines.js';
import type { ChunkOptions, TextSource } from './source.js';

function parseLine<T>(line: string, n: number, reader: string): T {
  try {
    return JSON.parse(line) as T;
  } catch (err) {
    throw new DataFormatError(reader, n, `invalid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Every value of a JSON Lines string. A bad line throws a `DataFormatError` naming it. */
export function parseJsonl<T = unknown>(text: string): T[] {
  const out: T[] = [];
  splitLines(text).forEach((line, i) => {
    if (line.trim().length > 0) out.push(parseLine<T>(line, i + 1, 'parseJsonl'));
  });
  return out;
}

/**
 * Streams the values of a JSON Lines source.
 *
 * ```ts
 * for await (const record of readJsonl<{ text: string; label: number }>('train.jsonl')) …
 * ```
 */
export async function* readJsonl<T = unknown>(source: TextSource, options: ChunkOptions = {}): AsyncGenerator<T> {
  for await (const [n, line] of readNumberedLines(source, options)) {
    if (line.trim().length > 0) yield parseLine<T>(line, n, 'readJsonl');
  }
}
