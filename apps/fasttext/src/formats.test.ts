import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Dictionary, tokenize } from './dictionary.js';
import { InputError, decodeText, firstInvalidUtf8, formatOf, parseExamples, parseFastTextLine, readExamples, toFastTextLine } from './formats.js';
import { parseArgs } from './cli.js';
import { seededRandom } from './random.js';

describe('input formats', () => {
  test('fastText lines: labels anywhere on the line, several labels, blank lines skipped', () => {
    const ex = parseExamples('__label__spam buy now\n\n__label__a __label__b hello   world\nfoo __label__ham bar\n', 'fasttext');
    expect(ex).toEqual([
      { labels: ['spam'], text: 'buy now' },
      { labels: ['a', 'b'], text: 'hello world' },
      { labels: ['ham'], text: 'foo bar' },
    ]);
    expect(parseFastTextLine('#x hi #y', '#')).toEqual({ labels: ['x', 'y'], text: 'hi' });
  });

  test('TSV and CSV with named columns and RFC 4180 quoting', () => {
    const tsv = parseExamples('id\tcategory\tbody\n1\tham\thello there\n2\tspam\tbuy, now\n', 'tsv', { labelColumn: 'category', textColumn: 'body' });
    expect(tsv).toEqual([
      { labels: ['ham'], text: 'hello there' },
      { labels: ['spam'], text: 'buy, now' },
    ]);
    const csv = parseExamples('label,text\nspam,"cheap, fast"\nham,"say ""hi""\nnext line"\n', 'csv');
    expect(csv).toEqual([
      { labels: ['spam'], text: 'cheap, fast' },
      { labels: ['ham'], text: 'say "hi"\nnext line' },
    ]);
  });

  test('JSON Lines with named fields (a label may be an array)', () => {
    const ex = parseExamples('{"y": "spam", "msg": "win"}\n{"y": ["a", "b"], "msg": "two"}\n', 'jsonl', { labelColumn: 'y', textColumn: 'msg' });
    expect(ex).toEqual([
      { labels: ['spam'], text: 'win' },
      { labels: ['a', 'b'], text: 'two' },
    ]);
  });

  test('a bad line names the file and line; skip mode drops it', () => {
    expect(() => parseExamples('{"label": "a", "text": "ok"}\n{not json\n', 'jsonl', {}, 'in.jsonl')).toThrow(/in\.jsonl:2: invalid JSON/);
    expect(parseExamples('{"label": "a", "text": "ok"}\n{not json\n', 'jsonl', { onBadLine: 'skip' })).toHaveLength(1);
    expect(() => parseExamples('__label__a hi\nno label here\n', 'fasttext', {}, 'x.txt')).toThrow(InputError);
    expect(() => parseExamples('__label__a hi\nno label here\n', 'fasttext', {}, 'x.txt')).toThrow(/x\.txt:2: no label/);
    expect(() => parseExamples('label,text\na,"open quote\n', 'csv', {}, 'x.csv')).toThrow(/x\.csv/);
    expect(() => parseExamples('label,body\na,b\n', 'csv', {}, 'x.csv')).toThrow(/no column 'text' \(columns: label, body\)/);
    expect(() => parseExamples('{"label": "a"}\n', 'jsonl', {}, 'j')).toThrow(/j:1: field 'text' is missing/);
  });

  test('format from the extension; fastText lines written for both tools', () => {
    expect(formatOf('a.TSV')).toBe('tsv');
    expect(formatOf('a.csv')).toBe('csv');
    expect(formatOf('a.ndjson')).toBe('jsonl');
    expect(formatOf('a.txt')).toBe('fasttext');
    expect(toFastTextLine({ labels: ['spam'], text: 'a\n b\tc ' })).toBe('__label__spam a b c');
  });
});

describe('encodings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-fasttext-enc-'));
  const BOM = '\uFEFF';

  test.each([
    ['fasttext', 'a.txt', '__label__spam buy now\n'],
    ['tsv', 'a.tsv', 'label\ttext\nspam\tbuy now\n'],
    ['csv', 'a.csv', 'label,text\nspam,buy now\n'],
    ['jsonl', 'a.jsonl', '{"label": "spam", "text": "buy now"}\n'],
  ])('a leading BOM is dropped (%s): it is not part of the first label, word or column name', (_format, name, content) => {
    const path = join(dir, name);
    writeFileSync(path, BOM + content);
    expect(readExamples(path)).toEqual([{ labels: ['spam'], text: 'buy now' }]);
    expect(parseExamples(BOM + content, formatOf(name))).toEqual([{ labels: ['spam'], text: 'buy now' }]);
  });

  test('invalid UTF-8 stops with the file, the line and the byte; --encoding-errors replace reads U+FFFD', () => {
    const path = join(dir, 'bad.txt');
    writeFileSync(path, Buffer.concat([Buffer.from('__label__a fine\n__label__b ok\n__label__a caf'), Buffer.from([0xc3, 0x28]), Buffer.from(' au lait\n')]));
    expect(() => readExamples(path)).toThrow(InputError);
    expect(() => readExamples(path)).toThrow(`${path}:3: invalid UTF-8 (byte 0xC3 at byte 15 of the line); convert the file to UTF-8, or pass --encoding-errors replace to read bad bytes as U+FFFD`);
    expect(readExamples(path, { encodingErrors: 'replace' })[2]).toEqual({ labels: ['a'], text: 'caf\uFFFD( au lait' });
    expect(() => decodeText(new Uint8Array([0xff, 0xfe, 0x61, 0x00]), 'u16.txt', 'replace')).toThrow('u16.txt: the file is UTF-16 (byte-order mark 0xFF 0xFE); convert it to UTF-8');
    expect(() => decodeText(new Uint8Array([0x80]), 'x')).toThrow('x:1: invalid UTF-8 (byte 0x80 at byte 1 of the line)');
  });

  test('firstInvalidUtf8 agrees with the WHATWG decoder on random bytes', () => {
    const rand = seededRandom(11);
    const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    // Bytes biased to UTF-8 lead and continuation bytes, so that valid and invalid sequences both occur.
    const pool = [0x41, 0x0a, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff];
    let invalid = 0;
    for (let n = 0; n < 3000; n++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(rand() * 8) }, () => pool[Math.floor(rand() * pool.length)]!);
      const at = firstInvalidUtf8(bytes);
      let ok = true;
      try {
        fatal.decode(bytes);
      } catch {
        ok = false;
      }
      expect(at === bytes.length).toBe(ok);
      if (!ok) {
        invalid++;
        expect(() => fatal.decode(bytes.subarray(0, at))).not.toThrow();
        expect(() => fatal.decode(bytes.subarray(0, at + 4))).toThrow();
      }
    }
    expect(invalid).toBeGreaterThan(100);
    expect(invalid).toBeLessThan(3000);
  });
});

describe('dictionary', () => {
  test('tokens end with </s>; words by descending count; n-gram rows follow the words', () => {
    expect(tokenize(' a  b\n')).toEqual(['a', 'b', '</s>']);
    const d = Dictionary.build(
      [
        { labels: ['x'], text: 'b a b' },
        { labels: ['y'], text: 'b c' },
      ],
      { minCount: 1, minCountLabel: 0, wordNgrams: 2, bucket: 100 },
    );
    expect(d.words.getItos()).toEqual(['b', '</s>', 'a', 'c']);
    expect(d.ntokens).toBe(9); // 4 + 3 tokens with </s>, plus 2 labels
    const { rows, ntokens } = d.encode('b zzz a');
    expect(ntokens).toBe(4);
    // words b, a, </s> (zzz is unknown) then 3 bigram buckets (b zzz, zzz a, a </s>) at nwords + id
    expect(Array.from(rows.subarray(0, 3))).toEqual([0, 2, 1]);
    expect(rows.length).toBe(6);
    for (const r of rows.subarray(3)) expect(r).toBeGreaterThanOrEqual(4);
  });
});

describe('command line', () => {
  test('fastText and kebab-case spellings', () => {
    const p = parseArgs(['train', '-input', 'a.txt', '--word-ngrams', '2', '-minCount', '3', '--dim=16', '--progress']);
    expect(p.command).toBe('train');
    expect(p.opts['input']).toBe('a.txt');
    expect(p.train).toEqual({ wordNgrams: 2, minCount: 3, dim: 16 });
    expect(p.flags.has('progress')).toBe(true);
    expect(parseArgs(['train', '--seed', '-3', '--progress', '--no-progress']).train).toEqual({ seed: -3 });
    expect(parseArgs(['train', '--progress', '--no-progress']).flags.has('progress')).toBe(false);
    expect(parseArgs(['predict', 'm', '--', '-odd-name.txt']).positional).toEqual(['m', '-odd-name.txt']);
    expect(() => parseArgs(['train', '--nope', '1'])).toThrow(/unknown option --nope/);
    expect(() => parseArgs(['train', '--lr', 'fast'])).toThrow(/--lr must be a number, got 'fast'/);
  });
});
