import { Readable } from 'node:stream';
import fc from 'fast-check';
import { TorchletError } from '@torchlet/tensor';
import { describe, expect, it } from 'vitest';
import { CsvParser, parseCsv, parseTsv, readCsv, readTsv } from './csv.js';
import { DataFormatError } from './errors.js';
import { parseJsonl, readJsonl } from './jsonl.js';
import { LineSplitter, readLines, readNumberedLines, splitLines } from './lines.js';
import { textChunks } from './source.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function chunked(text: string, sizes: number[]): string[] {
  const out: string[] = [];
  let i = 0;
  let k = 0;
  while (i < text.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

describe('CSV (RFC 4180)', () => {
  it('quoted fields with delimiters, doubled quotes and embedded newlines', () => {
    const text = 'id,text,n\r\n1,"hello, world",3\r\n2,"she said ""hi""",4\r\n3,"line one\nline two",5\r\n';
    expect(parseCsv(text)).toEqual([
      { id: '1', text: 'hello, world', n: '3' },
      { id: '2', text: 'she said "hi"', n: '4' },
      { id: '3', text: 'line one\nline two', n: '5' },
    ]);
  });

  it('empty fields, empty quoted fields, trailing delimiter and a last line without newline', () => {
    expect(parseCsv('a,b,c\n,,\n"",x,\n1,2,3', { header: false })).toEqual([
      ['a', 'b', 'c'],
      ['', '', ''],
      ['', 'x', ''],
      ['1', '2', '3'],
    ]);
    expect(parseCsv('a\n\n\nb\n', { header: false })).toEqual([['a'], ['b']]);
    expect(parseCsv('a\n\nb\n', { header: false, skipEmptyLines: false })).toEqual([['a'], [''], ['b']]);
  });

  it('a bad line throws a DataFormatError naming the line (counting embedded newlines)', () => {
    const wrongCount = 'a,b\n1,2\n"x\ny",3\n4,5,6\n';
    let err: unknown;
    try {
      parseCsv(wrongCount);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as DataFormatError).line).toBe(5);
    expect((err as Error).message).toBe('parseCsv: line 5: expected 2 fields, saw 3');
    expect(() => parseCsv('a,b\n"x"y,2\n')).toThrow(/line 2: unexpected character "y" after the closing quote of field 1/);
    expect(() => parseCsv('a,b\n1,2\n3,"open\n\n')).toThrow(/line 3: unterminated quoted field/);
    const skipped: number[] = [];
    expect(parseCsv(wrongCount, { onBadLine: (e) => skipped.push(e.line) })).toHaveLength(2);
    expect(skipped).toEqual([5]);
    expect(parseCsv(wrongCount, { onBadLine: 'skip' })).toHaveLength(2);
  });

  it('header handling, columns, cast, comments and TSV', () => {
    expect(parseCsv('x,y\n1.5,\n-2e3,abc\n', { cast: true })).toEqual([
      { x: 1.5, y: null },
      { x: -2000, y: 'abc' },
    ]);
    expect(parseCsv('1,2\n', { columns: ['a', 'b'] })).toEqual([{ a: '1', b: '2' }]);
    expect(parseCsv('a,a\n1,2\n')).toEqual([{ a: '1', 'a.1': '2' }]);
    // pandas' dedup_names: a generated name that is taken gets its own suffix, so no column is lost
    expect(Object.keys(parseCsv('a,a.1,a\n1,2,3\n')[0]!)).toEqual(['a', 'a.1', 'a.1.1']);
    expect(parseCsv('a,a,a,a.1\n1,2,3,4\n')).toEqual([{ a: '1', 'a.1': '2', 'a.2': '3', 'a.1.1': '4' }]);
    // a column named __proto__ is an own property (plain assignment would set the prototype)
    const [row] = parseCsv('__proto__,a\n1,2\n');
    expect(Object.keys(row!)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe('1');
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(() => parseCsv('1,2\n', { columns: ['a', 'a'] })).toThrow(/parseCsv: duplicate names are not allowed in columns \("a"\)/);
    expect(parseCsv('# note\na\n1\n', { comment: '#' })).toEqual([{ a: '1' }]);
    expect(parseTsv('a\tb\n"q" x\t2\n')).toEqual([{ a: '"q" x', b: '2' }]);
    expect(parseTsv('a\tb\n"q\tx"\t2\n', { quote: '"' })).toEqual([{ a: 'q\tx', b: '2' }]);
  });

  it('parses the same records whatever the chunking (streaming = in memory)', () => {
    const field = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('', '"', ',', '\n', '\r\n', 'a"b', ' '));
    const rows = fc.array(fc.array(field, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(rows, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 }), fc.constantFrom('\n', '\r\n', '\r'), (data, sizes, eol) => {
        const text = data.map((r) => r.map((f) => `"${f.replace(/"/g, '""')}"`).join(',')).join(eol) + eol;
        const parser = new CsvParser();
        const recs = chunked(text, sizes).flatMap((c) => parser.push(c)).concat(parser.end());
        expect(recs.map((r) => r.fields)).toEqual(data);
      }),
      { numRuns: 300 },
    );
  });

  it('streams from a Node stream, a web ReadableStream and byte chunks split inside UTF-8 characters', async () => {
    const text = 'name,city\n"Zoë","Zürich, CH"\nJosé,Кипр\n';
    const bytes = new TextEncoder().encode(text);
    const pieces = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const expected = [
      { name: 'Zoë', city: 'Zürich, CH' },
      { name: 'José', city: 'Кипр' },
    ];
    expect(await collect(readCsv(pieces))).toEqual(expected);
    expect(await collect(readCsv(Readable.from([Buffer.from(bytes)])))).toEqual(expected);
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of pieces) c.enqueue(p);
        c.close();
      },
    });
    expect(await collect(readCsv(web))).toEqual(expected);
    expect(await collect(readCsv(['\uFEFFa\n1\n']))).toEqual([{ a: '1' }]);
  });
});

describe('JSON Lines and text lines', () => {
  it('parses JSON Lines and names a bad line', async () => {
    expect(parseJsonl('{"a":1}\n\n[2]\r\n"s"')).toEqual([{ a: 1 }, [2], 's']);
    expect(() => parseJsonl('{"a":1}\n{oops}\n')).toThrow(/parseJsonl: line 2: invalid JSON/);
    expect(await collect(readJsonl(['{"a":', '1}\n{"a"', ':2}\n']))).toEqual([{ a: 1 }, { a: 2 }]);
    await expect(collect(readJsonl(['1\n2\n\n{\n']))).rejects.toThrow(/readJsonl: line 4: invalid JSON/);
  });

  it('splits lines on \\n, \\r\\n and \\r across chunks', async () => {
    expect(splitLines('a\r\nb\rc\n\nd')).toEqual(['a', 'b', 'c', '', 'd']);
    const s = new LineSplitter();
    expect([...s.push('a\r'), ...s.push('\nb'), ...s.end()]).toEqual(['a', 'b']);
    expect(await collect(readLines(['x\n', '\ny'], { skipEmpty: true }))).toEqual(['x', 'y']);
  });
});

describe('a leading UTF-8 byte-order mark is dropped by every text parser and reader, once', () => {
  const BOM = '\uFEFF';
  const bytesOf = (text: string): Uint8Array[] => {
    const b = new TextEncoder().encode(text); // keeps U+FEFF as EF BB BF
    return Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1)); // split inside the BOM too
  };

  it('CSV and TSV: the first column is "label", not "\\uFEFFlabel"', async () => {
    const csv = `${BOM}label,text\n1,hi\n`;
    expect(parseCsv(csv)).toEqual([{ label: '1', text: 'hi' }]);
    expect(parseCsv(csv, { header: false })[0]).toEqual(['label', 'text']);
    expect(parseTsv(`${BOM}label\ttext\n1\thi\n`)).toEqual([{ label: '1', text: 'hi' }]);
    expect(parseCsv(`${BOM}"label",x\n1,2\n`)).toEqual([{ label: '1', x: '2' }]); // a quoted first field
    const parser = new CsvParser();
    expect([...parser.push(BOM), ...parser.push('a\n1\n'), ...parser.end()].map((r) => r.fields)).toEqual([['a'], ['1']]);
    expect(await collect(readCsv(bytesOf(csv)))).toEqual([{ label: '1', text: 'hi' }]);
    expect(await collect(readCsv([BOM, 'label,text\n1,hi\n']))).toEqual([{ label: '1', text: 'hi' }]);
    expect(await collect(readTsv(bytesOf(`${BOM}label\ttext\n1\thi\n`)))).toEqual([{ label: '1', text: 'hi' }]);
  });

  it('JSON Lines: the first line parses', async () => {
    expect(parseJsonl(`${BOM}{"label":1}\n{"label":2}\n`)).toEqual([{ label: 1 }, { label: 2 }]);
    expect(await collect(readJsonl(bytesOf(`${BOM}{"label":1}\n`)))).toEqual([{ label: 1 }]);
  });

  it('lines, numbered lines, the line splitter and textChunks', async () => {
    expect(splitLines(`${BOM}a\nb`)).toEqual(['a', 'b']);
    const s = new LineSplitter();
    expect([...s.push(''), ...s.push(BOM), ...s.push('a\n'), ...s.end()]).toEqual(['a']);
    expect(await collect(readLines(bytesOf(`${BOM}a\nb\n`)))).toEqual(['a', 'b']);
    expect(await collect(readNumberedLines(bytesOf(`${BOM}a\n`)))).toEqual([[1, 'a']]);
    expect((await collect(textChunks(bytesOf(`${BOM}ab`)))).join('')).toBe('ab');
  });

  it('only one BOM, and only at the start of the text', async () => {
    expect(splitLines(`${BOM}${BOM}a\nb${BOM}`)).toEqual([`${BOM}a`, `b${BOM}`]);
    expect(parseCsv(`${BOM}${BOM}a\n1\n`)).toEqual([{ [`${BOM}a`]: '1' }]);
    expect(await collect(readLines(bytesOf(`${BOM}${BOM}a\n`)))).toEqual([`${BOM}a`]);
    expect(await collect(readCsv(bytesOf(`${BOM}${BOM}a\n1\n`)))).toEqual([{ [`${BOM}a`]: '1' }]);
    expect((await collect(textChunks(bytesOf(`${BOM}${BOM}a`)))).join('')).toBe(`${BOM}a`);
    const p = new CsvParser();
    expect([...p.push('a\n'), ...p.push(`${BOM}b\n`)].map((r) => r.fields)).toEqual([['a'], [`${BOM}b`]]);
  });
});

describe('fuzz: CSV / TSV and JSON Lines on arbitrary text', () => {
  const soup = fc
    .array(fc.oneof(fc.constantFrom('"', "'", ',', ';', '\t', '\n', '\r', '\r\n', '#', ' ', '\uFEFF', '1', '-2.5e3', 'NaN', 'é', '__proto__', '{', '}', '[', ']', ':'), fc.string({ maxLength: 3 })), { maxLength: 40 })
    .map((parts) => parts.join(''));
  // Record-shaped text, so that headers with awkward names (duplicates, __proto__) come up.
  const field = fc.constantFrom('a', 'a', 'a.1', 'b', '__proto__', 'constructor', 'toString', '', '1', '2.5', '"q,"', 'x"y', '#c', ' ');
  const records = fc
    .tuple(fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), fc.constantFrom(',', ';', '\t'), fc.constantFrom('\n', '\r\n', '\r'))
    .map(([rows, d, eol]) => rows.map((r) => r.join(d)).join(eol) + eol);
  const text = fc.oneof(soup, records);
  const options = fc.record(
    {
      delimiter: fc.constantFrom(',', ';', '\t', '"', ',,', ''),
      quote: fc.constantFrom('"', "'", null, ','),
      comment: fc.constantFrom('#', undefined),
      header: fc.boolean(),
      cast: fc.boolean(),
      skipEmptyLines: fc.boolean(),
      onBadLine: fc.constantFrom('error' as const, 'skip' as const),
    },
    { requiredKeys: [] },
  );

  it('parseCsv: rows or a TorchletError (DataFormatError for bad records, ValueError for bad options), and every row keeps its columns', () => {
    fc.assert(
      fc.property(text, options, (t, o) => {
        let rows: unknown[];
        try {
          rows = parseCsv(t, o);
        } catch (e) {
          if (!(e instanceof TorchletError)) throw e;
          return;
        }
        if (o.header !== false && rows.length > 0) {
          // every header field is a column of its own: none is lost to a duplicate name or to __proto__
          const header = (parseCsv(t, { ...o, header: false, cast: false, onBadLine: 'skip' }) as string[][])[0]!;
          for (const row of rows) {
            expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
            expect(Object.keys(row as object)).toHaveLength(header.length);
          }
        }
      }),
      { numRuns: 500, seed: 31337 },
    );
  });

  it('streaming byte chunks split anywhere gives the same rows or the same error as parsing in memory', async () => {
    await fc.assert(
      fc.asyncProperty(text, options, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }), async (t, o, sizes) => {
        const bytes = new TextEncoder().encode(t);
        const pieces: Uint8Array[] = [];
        for (let i = 0, k = 0; i < bytes.length; k++) {
          pieces.push(bytes.subarray(i, i + sizes[k % sizes.length]!));
          i += sizes[k % sizes.length]!;
        }
        const inMemory = (() => {
          try {
            return { rows: parseCsv(t, o) as unknown };
          } catch (e) {
            return { error: (e as Error).message.replace('parseCsv', 'readCsv') };
          }
        })();
        const streamed = await collect(readCsv(pieces, o)).then(
          (rows) => ({ rows: rows as unknown }),
          (e: unknown) => ({ error: (e as Error).message }),
        );
        expect(streamed).toEqual(inMemory);
      }),
      { numRuns: 300, seed: 4711 },
    );
  });

  it('parseJsonl / readJsonl: values or a DataFormatError naming the line', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        try {
          parseJsonl(t);
        } catch (e) {
          if (!(e instanceof DataFormatError)) throw e;
        }
        try {
          await collect(readJsonl([t]));
        } catch (e) {
          if (!(e instanceof DataFormatError)) throw e;
        }
      }),
      { numRuns: 300, seed: 99 },
    );
  });
});
