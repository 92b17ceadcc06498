/** Labelled texts from TSV, CSV, JSON Lines or fastText-style files, and the built-in reviews. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as torch from 'torchlet';

export interface Example {
  text: string;
  label: string;
}

export type Format = 'tsv' | 'csv' | 'jsonl' | 'fasttext';
export const FORMATS: readonly Format[] = ['tsv', 'csv', 'jsonl', 'fasttext'];

export interface ReadOptions {
  format?: Format;
  textColumn?: string;
  labelColumn?: string;
  /** fastText files: the prefix of label words (`__label__`). */
  labelPrefix?: string;
}

export class InputError extends Error {
  override name = 'InputError';
}

const EXAMPLES = {
  'fine-foods': { train: '../data/fine-foods-train.tsv', test: '../data/fine-foods-test.tsv', textColumn: 'review', labelColumn: 'score' },
} as const;
export const EXAMPLE_NAMES = Object.keys(EXAMPLES);

/** The built-in example's files and columns. */
export function example(name: string): { train: string; test: string; options: ReadOptions } {
  const ex = EXAMPLES[name as keyof typeof EXAMPLES];
  if (!ex) throw new InputError(`--example: unknown example '${name}' (known: ${EXAMPLE_NAMES.join(', ')})`);
  const path = (p: string) => fileURLToPath(new URL(p, import.meta.url));
  return { train: path(ex.train), test: path(ex.test), options: { format: 'tsv', textColumn: ex.textColumn, labelColumn: ex.labelColumn } };
}

function formatOf(path: string, given?: Format): Format {
  if (given) return given;
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  if (ext === 'tsv' || ext === 'csv' || ext === 'jsonl') return ext;
  if (ext === 'txt') return 'fasttext';
  throw new InputError(`${path}: cannot tell the format from the extension; give --format ${FORMATS.join('|')}`);
}

export async function readExamples(path: string, options: ReadOptions = {}): Promise<Example[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new InputError(`${path}: not valid UTF-8`);
  }
  const format = formatOf(path, options.format);
  const textColumn = options.textColumn ?? 'text';
  const labelColumn = options.labelColumn ?? 'label';
  if (format === 'fasttext') {
    const prefix = options.labelPrefix ?? '__label__';
    return text.split('\n').flatMap((line, i) => {
      if (!line.trim()) return [];
      const words = line.trim().split(/\s+/);
      if (!words[0]!.startsWith(prefix)) throw new InputError(`${path} line ${i + 1}: no label starting with '${prefix}' (--label-prefix)`);
      return [{ label: words[0]!.slice(prefix.length), text: words.slice(1).join(' ') }];
    });
  }
  let rows: Record<string, unknown>[];
  try {
    rows =
      format === 'jsonl'
        ? (torch.utils.data.parseJsonl(text) as Record<string, unknown>[])
        : format === 'tsv'
          ? torch.utils.data.parseTsv(text)
          : torch.utils.data.parseCsv(text);
  } catch (e) {
    throw new InputError(`${path}: not valid ${format.toUpperCase()} (${(e as Error).message})`);
  }
  if (rows.length === 0) throw new InputError(`${path}: no examples`);
  for (const [flag, column] of [['--text-column', textColumn], ['--label-column', labelColumn]] as const) {
    if (!(column in rows[0]!)) throw new InputError(`${path}: no column '${column}' (${flag}; columns: ${Object.keys(rows[0]!).join(', ')})`);
  }
  return rows.map((r) => ({ text: String(r[textColumn] ?? ''), label: String(r[labelColumn]) }));
}
