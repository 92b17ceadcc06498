import { describe, expect, test } from 'vitest';
import { Dictionary, tokenize } from './dictionary.js';
import { InputError, formatOf, parseExamples, parseFastTextLine, toFastTextLine } from './formats.js';
import { parseArgs } from './cli.js';

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
    expect(() => parseArgs(['train', '--nope', '1'])).toThrow(/unknown option --nope/);
    expect(() => parseArgs(['train', '--lr', 'fast'])).toThrow(/expected a number/);
  });
});
