/**
 * CSV / TSV: an incremental RFC 4180 parser over string chunks (quoted fields, doubled
 * quotes, delimiters and newlines inside quotes, empty fields, `\n` / `\r\n` / `\r` line
 * ends) and the readers built on it. Malformed records throw a `DataFormatError` naming the
 * line where the record starts (or are skipped with `onBadLine: 'skip'`).
 */
import { ValueError } from '@torchlet/tensor';
import { DataFormatError } from './errors.js';
import { BomStripper, rawTextChunks, type ChunkOptions, type TextSource } from './source.js';

/** Options of `CsvParser` (the RFC 4180 dialect knobs). */
export interface CsvParserOptions {
  /** Field separator, one character (default `,`). */
  delimiter?: string;
  /** Quote character (default `"`); `null` turns quoting off (quotes are ordinary characters). */
  quote?: string | null;
  /** Drop lines with no characters at all (default true). */
  skipEmptyLines?: boolean;
  /** Lines starting with this character are skipped (default: none). */
  comment?: string;
}

/** One parsed record and the 1-based line it starts on. */
export interface CsvRecord {
  /** The record's fields, unquoted. */
  readonly fields: string[];
  /** The 1-based line the record starts on. */
  readonly line: number;
  /** Set when the record is malformed (the parser's complaint); `fields` is then partial. */
  readonly error?: string;
}

const enum S {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
  Comment,
  Bad,
}

function oneChar(value: string | null | undefined, name: string, fallback: string | null): number {
  const v = value === undefined ? fallback : value;
  if (v === null) return -1;
  if (typeof v !== 'string' || v.length !== 1) throw new ValueError(`csv: ${name} must be a single character (got ${JSON.stringify(v)})`);
  return v.charCodeAt(0);
}

/**
 * The incremental parser: `push(chunk)` returns the records a chunk completes, `end()` the
 * last one. A byte-order mark (U+FEFF) at the start of the text is dropped, so the first
 * column's name does not carry it. Runs anywhere (strings in, arrays out).
 */
export class CsvParser {
  readonly #delim: number;
  readonly #quote: number;
  readonly #comment: number;
  readonly #skipEmpty: boolean;
  #state: S = S.FieldStart;
  #field = '';
  #fields: string[] = [];
  #line = 1;
  #recordLine = 1;
  #recordHasChars = false;
  #pendingCR = false;
  #error: string | undefined;
  readonly #bom = new BomStripper();

  constructor(options: CsvParserOptions = {}) {
    this.#delim = oneChar(options.delimiter, 'delimiter', ',');
    this.#quote = oneChar(options.quote, 'quote', '"');
    this.#comment = oneChar(options.comment, 'comment', null);
    this.#skipEmpty = options.skipEmptyLines ?? true;
    if (this.#delim === this.#quote) throw new ValueError('csv: delimiter and quote must differ');
    if (this.#delim === 10 || this.#delim === 13 || this.#quote === 10 || this.#quote === 13) throw new ValueError('csv: delimiter and quote cannot be line breaks');
  }

  #endRecord(out: CsvRecord[]): void {
    if (this.#state === S.Comment) {
      // nothing
    } else if (this.#error !== undefined) {
      out.push({ fields: this.#fields, line: this.#recordLine, error: this.#error });
    } else if (this.#recordHasChars || !this.#skipEmpty) {
      this.#fields.push(this.#field);
      out.push({ fields: this.#fields, line: this.#recordLine });
    }
    this.#fields = [];
    this.#field = '';
    this.#state = S.FieldStart;
    this.#recordHasChars = false;
    this.#error = undefined;
  }

  /** Parses the next chunk of text; returns the records it completed (a record may span chunks). */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    const s = this.#bom.strip(chunk);
    const n = s.length;
    const D = this.#delim;
    const Q = this.#quote;
    let i = 0;
    if (this.#pendingCR) {
      this.#pendingCR = false;
      if (n > 0 && s.charCodeAt(0) === 10) i = 1;
    }
    while (i < n) {
      const c = s.charCodeAt(i);
      switch (this.#state) {
        case S.FieldStart: {
          if (!this.#recordHasChars && this.#fields.length === 0) this.#recordLine = this.#line;
          if (c === 10 || c === 13) break; // newline handled below
          this.#recordHasChars = true;
          if (c === Q) {
            this.#state = S.Quoted;
            i++;
            continue;
          }
          if (c === D) {
            this.#fields.push('');
            i++;
            continue;
          }
          if (c === this.#comment && this.#fields.length === 0) {
            this.#state = S.Comment;
            i++;
            continue;
          }
          this.#state = S.Unquoted;
          continue;
        }
        case S.Unquoted: {
          let j = i;
          while (j < n) {
            const d = s.charCodeAt(j);
            if (d === D || d === 10 || d === 13) break;
            j++;
          }
          this.#field += s.slice(i, j);
          i = j;
          if (i >= n) continue;
          if (s.charCodeAt(i) === D) {
            this.#fields.push(this.#field);
            this.#field = '';
            this.#state = S.FieldStart;
            i++;
            continue;
          }
          break; // a line break
        }
        case S.Quoted: {
          let j = i;
          while (j < n) {
            const d = s.charCodeAt(j);
            if (d === Q) break;
            if (d === 10) {
              if (!(j > 0 ? s.charCodeAt(j - 1) === 13 : this.#field.endsWith('\r'))) this.#line++;
            } else if (d === 13) this.#line++;
            j++;
          }
          this.#field += s.slice(i, j);
          i = j;
          if (i < n) {
            this.#state = S.QuoteInQuoted;
            i++;
          }
          continue;
        }
        case S.QuoteInQuoted: {
          if (c === Q) {
            this.#field += s[i];
            this.#state = S.Quoted;
            i++;
            continue;
          }
          if (c === D) {
            this.#fields.push(this.#field);
            this.#field = '';
            this.#state = S.FieldStart;
            i++;
            continue;
          }
          if (c === 10 || c === 13) break;
          this.#error = `unexpected character ${JSON.stringify(s[i])} after the closing quote of field ${this.#fields.length + 1}`;
          this.#state = S.Bad;
          continue;
        }
        case S.Comment:
        case S.Bad: {
          let j = i;
          while (j < n) {
            const d = s.charCodeAt(j);
            if (d === 10 || d === 13) break;
            j++;
          }
          i = j;
          if (i >= n) continue;
          break;
        }
      }
      // A line break outside quotes ends the record.
      this.#endRecord(out);
      this.#line++;
      if (s.charCodeAt(i) === 13) {
        if (i + 1 < n) {
          if (s.charCodeAt(i + 1) === 10) i++;
        } else this.#pendingCR = true;
      }
      i++;
    }
    return out;
  }

  /** Finishes the input; returns the last record, if any (an unterminated quote is reported in its `error`). */
  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    this.#pendingCR = false;
    if (this.#state === S.Quoted) {
      this.#error = 'unterminated quoted field (end of file inside quotes)';
      this.#endRecord(out);
    } else if (this.#recordHasChars || this.#fields.length > 0) {
      this.#endRecord(out);
    }
    return out;
  }
}

/** A parsed value when `cast` is on. */
export type CsvValue = string | number | null;

/** Options of `parseCsv` / `readCsv` (and the TSV forms). */
export interface CsvOptions extends CsvParserOptions {
  /** The first record names the columns (default true): rows are objects. */
  header?: boolean;
  /** Column names when the file has no header row: rows are objects with these keys. */
  columns?: readonly string[];
  /**
   * Convert fields: `true` turns numeric fields into numbers and empty fields into `null`;
   * a function receives `(value, column)` and returns the value to keep. Default: strings.
   */
  cast?: boolean | ((value: string, column: string | number) => unknown);
  /**
   * A malformed record (wrong number of fields, text after a closing quote, an unterminated
   * quote): `'error'` (default) throws a `DataFormatError` naming the line, `'skip'` drops
   * it, a function is called with the error and the record is dropped.
   */
  onBadLine?: 'error' | 'skip' | ((error: DataFormatError) => void);
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function castNumeric(v: string): CsvValue {
  if (v === '') return null;
  const t = v.trim();
  if (NUMBER.test(t)) return Number(t);
  if (t === 'NaN' || t === 'NA') return Number.NaN;
  if (t === 'Infinity' || t === 'inf' || t === 'Inf') return Number.POSITIVE_INFINITY;
  if (t === '-Infinity' || t === '-inf' || t === '-Inf') return Number.NEGATIVE_INFINITY;
  return v;
}

/**
 * pandas' renaming of duplicate column names: the second `a` becomes `a.1`, the third `a.2`, and
 * a generated name that is itself taken gets its own suffix (`a, a.1, a` → `a, a.1, a.1.1`), so no
 * two columns share a name and none is overwritten.
 */
function dedupNames(fields: readonly string[]): string[] {
  const counts = new Map<string, number>();
  return fields.map((name) => {
    let col = name;
    let count = counts.get(col) ?? 0;
    while (count > 0) {
      counts.set(col, count + 1);
      col = `${col}.${count}`;
      count = counts.get(col) ?? 0;
    }
    counts.set(col, count + 1);
    return col;
  });
}

/** Turns raw records into rows: header, field counts, casting, bad-line policy. */
class RowShaper {
  readonly #reader: string;
  readonly #options: CsvOptions;
  #names: string[] | null;
  #expected: number | null;
  #headerPending: boolean;

  constructor(reader: string, options: CsvOptions) {
    this.#reader = reader;
    this.#options = options;
    this.#headerPending = (options.header ?? true) && !options.columns;
    this.#names = options.columns ? [...options.columns] : null;
    this.#expected = this.#names ? this.#names.length : null;
    // as pandas' `names`: a repeated name would make one column overwrite another
    const dup = this.#names?.find((n, i) => this.#names!.indexOf(n) !== i);
    if (dup !== undefined) throw new ValueError(`${reader}: duplicate names are not allowed in columns (${JSON.stringify(dup)})`);
  }

  #bad(rec: CsvRecord, detail: string): undefined {
    const err = new DataFormatError(this.#reader, rec.line, detail);
    const policy = this.#options.onBadLine ?? 'error';
    if (policy === 'error') throw err;
    if (typeof policy === 'function') policy(err);
    return undefined;
  }

  accept(rec: CsvRecord): unknown {
    if (rec.error !== undefined) return this.#bad(rec, rec.error);
    if (this.#headerPending) {
      this.#headerPending = false;
      this.#names = dedupNames(rec.fields);
      this.#expected = this.#names.length;
      return undefined;
    }
    if (this.#expected === null) this.#expected = rec.fields.length;
    if (rec.fields.length !== this.#expected) {
      return this.#bad(rec, `expected ${this.#expected} fields, saw ${rec.fields.length}`);
    }
    const cast = this.#options.cast;
    const names = this.#names;
    const conv =
      cast === true ? (v: string) => castNumeric(v) : typeof cast === 'function' ? (v: string, col: string | number) => cast(v, col) : null;
    if (names) {
      const row: Record<string, unknown> = {};
      for (let k = 0; k < names.length; k++) {
        // defineProperty: a column named "__proto__" must be an own property, not the prototype
        Object.defineProperty(row, names[k]!, { value: conv ? conv(rec.fields[k]!, names[k]!) : rec.fields[k]!, enumerable: true, writable: true, configurable: true });
      }
      return row;
    }
    return conv ? rec.fields.map((v, k) => conv(v, k)) : rec.fields;
  }

  /** Column names (after the header row was read). */
  get columns(): string[] | null {
    return this.#names;
  }
}

type Row<O extends CsvOptions> = O extends { header: false; columns?: undefined }
  ? O extends { cast: true }
    ? CsvValue[]
    : string[]
  : O extends { cast: true }
    ? Record<string, CsvValue>
    : Record<string, string>;

/**
 * Parses CSV text in memory. Rows are objects keyed by the header (default), or arrays with
 * `header: false`.
 *
 * ```ts
 * parseCsv('a,b\n1,"x, y"\n', { cast: true }) // [{ a: 1, b: 'x, y' }]
 * ```
 */
export function parseCsv<O extends CsvOptions = CsvOptions>(text: string, options?: O): Row<O>[] {
  const opts: CsvOptions = options ?? {};
  const parser = new CsvParser(opts);
  const shaper = new RowShaper('parseCsv', opts);
  const rows: Row<O>[] = [];
  for (const rec of [...parser.push(text), ...parser.end()]) {
    const row = shaper.accept(rec);
    if (row !== undefined) rows.push(row as Row<O>);
  }
  return rows;
}

/**
 * Streams the rows of a CSV source (a file path in Node, a `ReadableStream`, a Node stream,
 * or an iterable of chunks): memory stays flat for large files.
 *
 * ```ts
 * for await (const row of readCsv('/data/R_AirPassengers.csv', { cast: true })) row.value;
 * ```
 */
export async function* readCsv<O extends CsvOptions & ChunkOptions = CsvOptions>(source: TextSource, options?: O): AsyncGenerator<Row<O>> {
  const opts: CsvOptions & ChunkOptions = options ?? {};
  const parser = new CsvParser(opts);
  const shaper = new RowShaper('readCsv', opts);
  for await (const chunk of rawTextChunks(source, opts)) {
    for (const rec of parser.push(chunk)) {
      const row = shaper.accept(rec);
      if (row !== undefined) yield row as Row<O>;
    }
  }
  for (const rec of parser.end()) {
    const row = shaper.accept(rec);
    if (row !== undefined) yield row as Row<O>;
  }
}

const TSV_DEFAULTS = { delimiter: '\t', quote: null } as const;

/**
 * Tab-separated values: `parseCsv` with `delimiter: '\t'` and quoting off by default (the
 * IANA TSV convention: a `"` is an ordinary character). Pass `quote: '"'` for TSV files
 * written with CSV-style quoting.
 */
export function parseTsv<O extends CsvOptions = CsvOptions>(text: string, options?: O): Row<O>[] {
  return parseCsv(text, { ...TSV_DEFAULTS, ...options } as O);
}

/** `readCsv` for tab-separated sources (quoting off by default; see `parseTsv`). */
export function readTsv<O extends CsvOptions & ChunkOptions = CsvOptions>(source: TextSource, options?: O): AsyncGenerator<Row<O>> {
  return readCsv(source, { ...TSV_DEFAULTS, ...options } as O);
}
