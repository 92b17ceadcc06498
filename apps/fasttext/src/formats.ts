/**
 * Input formats: fastText's own `__label__x text` lines, TSV/CSV with a label and a text
 * column (named by flags), JSON Lines with a label and a text field (named by flags). Every
 * reader yields `Example`s; a malformed line fails with the file and line number (or is
 * skipped with `onBadLine: 'skip'`).
 */
import { DataFormatError, parseCsv, parseJsonl, parseTsv, splitLines } from '@torchlet/data';
import { readFileSync } from 'node:fs';
import { fileProblem } from './files.js';

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
  /** Invalid UTF-8: stop with the file and line (default), or read the bad bytes as U+FFFD. */
  encodingErrors?: EncodingErrors;
  /** How errors name the file's origin, e.g. `--input` (default: nothing). */
  what?: string;
}

export type EncodingErrors = 'strict' | 'replace';

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

/** Examples from a string in `format` (`source` names the file in errors). A leading BOM is dropped. */
export function parseExamples(text: string, format: InputFormat, options: FormatOptions = {}, source = '<input>'): Example[] {
  text = stripBom(text);
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

/** `text` without a leading byte-order mark (editors on Windows write one; it is not part of the first word or column name). */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The text of UTF-8 `bytes` without a leading BOM. Invalid UTF-8 throws an `InputError` naming
 * `source`, the line and the byte (unless `errors` is `'replace'`: then each bad sequence reads as
 * U+FFFD). UTF-16 (a UTF-16 BOM) is refused in both modes: replacing would make every word garbage.
 */
export function decodeText(bytes: Uint8Array, source: string, errors: EncodingErrors = 'strict'): string {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new InputError(`${source}: the file is UTF-16 (byte-order mark ${hex(bytes[0]!)} ${hex(bytes[1]!)}); convert it to UTF-8`);
  }
  try {
    return stripBom(new TextDecoder('utf-8', { fatal: errors === 'strict', ignoreBOM: true }).decode(bytes));
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    const at = firstInvalidUtf8(bytes);
    const lineStart = at === 0 ? 0 : bytes.lastIndexOf(0x0a, at - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    throw new InputError(
      `${source}:${line}: invalid UTF-8 (byte ${hex(bytes[at] ?? 0)} at byte ${at - lineStart + 1} of the line); convert the file to UTF-8, or pass --encoding-errors replace to read bad bytes as U+FFFD`,
    );
  }
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0').toUpperCase()}`;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (`bytes.length` if none), by the WHATWG decoder's rules. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => j < n && bytes[j]! >= lo && bytes[j]! <= hi;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    let len: number;
    if (b < 0x80) len = 1;
    else if (b >= 0xc2 && b <= 0xdf) len = cont(i + 1) ? 2 : 0;
    else if (b === 0xe0) len = cont(i + 1, 0xa0) && cont(i + 2) ? 3 : 0;
    else if (b === 0xed) len = cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0;
    else if (b >= 0xe1 && b <= 0xef) len = cont(i + 1) && cont(i + 2) ? 3 : 0;
    else if (b === 0xf0) len = cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b >= 0xf1 && b <= 0xf3) len = cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b === 0xf4) len = cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else len = 0;
    if (len === 0) return i;
    i += len;
  }
  return n;
}

/** Reads a file (or `-` for standard input) in its format. */
export function readExamples(path: string, options: FormatOptions = {}): Example[] {
  const source = path === '-' ? '<stdin>' : path;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path === '-' ? 0 : path);
  } catch (err) {
    throw new InputError(`cannot read ${options.what ? `${options.what} ` : ''}${source}: ${fileProblem(err)}`);
  }
  const text = decodeText(bytes, source, options.encodingErrors);
  return parseExamples(text, formatOf(path, options.format), options, source);
}

/** A fastText-format line for an example (newlines and tabs become spaces, as both tools then see the same tokens). */
export function toFastTextLine(ex: Example, labelPrefix = '__label__'): string {
  const labels = ex.labels.map((l) => labelPrefix + l).join(' ');
  const text = ex.text.split(WS).filter((t) => t.length > 0).join(' ');
  return labels.length > 0 ? `${labels} ${text}` : text;
}
