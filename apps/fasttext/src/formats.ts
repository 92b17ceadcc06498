/**
 * Input formats: fastText's own `__label__x text` lines, TSV/CSV with a label and a text
 * column (named by flags), JSON Lines with a label and a text field (named by flags). Every
 * reader yields `Example`s; a malformed line fails with the file and line number (or is
 * skipped with `onBadLine: 'skip'`).
 */
import { DataFormatError, parseCsv, parseJsonl, parseTsv, splitLines } from '@torchlet/data';
import { readFileSync } from 'node:fs';

/** One labelled (or unlabelled, for `predict`) text. */
export interface Example {
  readonly labels: readonly string[];
  readonly text: string;
}

export type InputFormat = 'fasttext' | 'tsv' | 'csv' | 'jsonl';

export interface FormatOptions {
  /** Default: from the file extension (`.tsv`, `.csv`, `.jsonl`/`.ndjson`, anything else fastText). */
  format?: InputFormat;
  /** fastText label prefix (default `__label__`). */
  labelPrefix?: string;
  /** TSV/CSV column or JSONL field holding the label (default `label`). */
  labelColumn?: string;
  /** TSV/CSV column or JSONL field holding the text (default `text`). */
  textColumn?: string;
  /** A malformed line: throw (default) or skip it. */
  onBadLine?: 'error' | 'skip';
  /** Labels are optional (predict). */
  unlabelled?: boolean;
}

export class InputError extends Error {
  override name = 'InputError';
}

export function formatOf(path: string, format?: InputFormat): InputFormat {
  if (format) return format;
  const lower = path.toLowerCase();
  if (lower.endsWith('.tsv')) return 'tsv';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  return 'fasttext';
}

const WS = /[ \n\r\t\v\f\0]+/;

/**
 * fastText's reader: whitespace-separated tokens; tokens starting with the label prefix are
 * labels (anywhere on the line, as fastText), the rest is the text.
 */
export function parseFastTextLine(line: string, labelPrefix = '__label__'): Example {
  const labels: string[] = [];
  const words: string[] = [];
  for (const tok of line.split(WS)) {
    if (tok.length === 0) continue;
    if (tok.startsWith(labelPrefix)) labels.push(tok.slice(labelPrefix.length));
    else words.push(tok);
  }
  return { labels, text: words.join(' ') };
}

function labelValue(v: unknown): string[] | null {
  if (v === null || v === undefined || v === '') return null;
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

/** Examples from a string in `format` (`source` names the file in errors). */
export function parseExamples(text: string, format: InputFormat, options: FormatOptions = {}, source = '<input>'): Example[] {
  const labelColumn = options.labelColumn ?? 'label';
  const textColumn = options.textColumn ?? 'text';
  const skip = options.onBadLine === 'skip';
  const out: Example[] = [];
  const bad = (line: number, msg: string): void => {
    if (!skip) throw new InputError(`${source}:${line}: ${msg}`);
  };
  if (format === 'fasttext') {
    splitLines(text).forEach((line, i) => {
      if (line.trim().length === 0) return;
      const ex = parseFastTextLine(line, options.labelPrefix);
      if (ex.labels.length === 0 && !options.unlabelled) bad(i + 1, `no label (expected a token starting with '${options.labelPrefix ?? '__label__'}')`);
      else out.push(ex);
    });
    return out;
  }
  if (format === 'jsonl') {
    const lines = splitLines(text);
    lines.forEach((line, i) => {
      if (line.trim().length === 0) return;
      let rec: unknown;
      try {
        rec = parseJsonl(line)[0];
      } catch (err) {
        bad(i + 1, err instanceof DataFormatError ? 'invalid JSON' : String(err));
        return;
      }
      if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return bad(i + 1, 'expected a JSON object');
      const r = rec as Record<string, unknown>;
      const t = r[textColumn];
      if (typeof t !== 'string') return bad(i + 1, `field '${textColumn}' is missing or not a string`);
      const labels = labelValue(r[labelColumn]);
      if (!labels && !options.unlabelled) return bad(i + 1, `field '${labelColumn}' is missing`);
      out.push({ labels: labels ?? [], text: t });
    });
    return out;
  }
  // TSV / CSV (RFC 4180 quoting, header row names the columns).
  const parse = format === 'tsv' ? parseTsv : parseCsv;
  let rows: Record<string, unknown>[];
  try {
    rows = parse(text, { header: true, onBadLine: skip ? 'skip' : 'error' }) as unknown as Record<string, unknown>[];
  } catch (err) {
    throw new InputError(`${source}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (rows.length > 0) {
    const cols = Object.keys(rows[0]!);
    if (!cols.includes(textColumn)) throw new InputError(`${source}: no column '${textColumn}' (columns: ${cols.join(', ')}); choose one with --text-column`);
    if (!options.unlabelled && !cols.includes(labelColumn)) throw new InputError(`${source}: no column '${labelColumn}' (columns: ${cols.join(', ')}); choose one with --label-column`);
  }
  rows.forEach((r, i) => {
    const labels = labelValue(r[labelColumn]);
    if (!labels && !options.unlabelled) return bad(i + 2, `empty '${labelColumn}'`);
    out.push({ labels: labels ?? [], text: String(r[textColumn] ?? '') });
  });
  return out;
}

/** Reads a file (or `-` for standard input) in its format. */
export function readExamples(path: string, options: FormatOptions = {}): Example[] {
  const text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  return parseExamples(text, formatOf(path, options.format), options, path);
}

/** A fastText-format line for an example (newlines and tabs become spaces, as both tools then see the same tokens). */
export function toFastTextLine(ex: Example, labelPrefix = '__label__'): string {
  const labels = ex.labels.map((l) => labelPrefix + l).join(' ');
  const text = ex.text.split(WS).filter((t) => t.length > 0).join(' ');
  return labels.length > 0 ? `${labels} ${text}` : text;
}
