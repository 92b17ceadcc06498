// The readers on real data files (tooling/fixtures/data, sources in its README). `dataFile`
// throws when a file is missing: they are part of the project's test data.
import { readFileSync } from 'node:fs';
import { dataDir, dataFile as need } from '@torchlet/fixtures';
import { describe, expect, it } from 'vitest';
import { tensor } from '@torchlet/tensor';
import { readCsv, readTsv } from './csv.js';
import { readLines } from './lines.js';
import { basicEnglish } from '../text/tokenizer.js';
import { Vocab } from '../text/vocab.js';
import { windowed } from '../timeseries/windowed.js';
import { splitByTime } from '../timeseries/split.js';
import { StandardScaler } from '../timeseries/scalers.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('real files', () => {
  it('fine_foods_training_rows1901-2200.tsv: 300 reviews, labels great/other, quotes kept as text', async () => {
    const rows = await collect(readTsv(need('fine_foods_training_rows1901-2200.tsv'), { highWaterMark: 16384 }));
    expect(rows).toHaveLength(300);
    expect(Object.keys(rows[0]!)).toEqual(['score', 'product', 'review']);
    const counts = { great: 0, other: 0 } as Record<string, number>;
    for (const r of rows) counts[r.score!]!++;
    expect(counts).toEqual({ great: 218, other: 82 });
    // rows 174 and 257: reviews that start with a quote (no CSV quoting in this TSV)
    expect(rows[173]!.review!.startsWith('"Lavazza Italian Coffee, Caffe Espresso" is the best coffee')).toBe(true);
    expect(rows[256]!.review!.startsWith('"I was very pleased by the service.')).toBe(true);
    const vocab = Vocab.build(rows.map((r) => basicEnglish(r.review!)), { minFreq: 5, specials: ['<pad>', '<unk>'], defaultToken: '<unk>' });
    // 618 by torchtext 0.14's basic_english + build_vocab_from_iterator(min_freq=5) on the same rows
    expect(vocab.length).toBe(618);
    expect(vocab.getItos().slice(0, 7)).toEqual(['<pad>', '<unk>', '.', 'the', ',', 'i', 'and']);
    expect(vocab.lookupIndices(['the', 'qwertyuiop'])).toEqual([3, 1]);
  });

  it('R_AirPassengers.csv: 144 months, windows, a time split and a scaler', async () => {
    const rows = await collect(readCsv(need('R_AirPassengers.csv'), { cast: true }));
    expect(rows).toHaveLength(144);
    expect(rows[0]).toEqual({ year: 1949, period: 1, value: 112 });
    expect(rows[143]).toEqual({ year: 1960, period: 12, value: 432 });
    const values = rows.map((r) => r.value as number);
    expect(values.reduce((a, b) => a + b, 0)).toBe(40363);
    const series = tensor(Float32Array.from(values));
    const { train, val, test } = splitByTime(series, { train: 0.7, val: 0.15, context: 12 });
    expect([train.shape[0], val.shape[0], test.shape[0]]).toEqual([100, 33, 35]);
    const scaler = new StandardScaler().fit(train);
    const z = scaler.transform(train);
    const zd = Array.from(z.dataSync());
    expect(Math.abs(zd.reduce((a, b) => a + b, 0) / zd.length)).toBeLessThan(1e-5);
    const ds = windowed(z, 12, 1);
    expect(ds.length).toBe(88); // 100 − (12 + 1) + 1
    const [x0, y0] = ds.getItem(0);
    expect(x0.shape).toEqual([12]);
    expect(y0.dataSync()[0]).toBeCloseTo(zd[12]!, 6);
    for (const t of [x0, y0, z, train, val, test, series]) t.dispose();
    scaler.dispose();
  });

  it('moby_dick_first1000lines.txt streams line by line, across chunks that split UTF-8 characters', async () => {
    const path = need('moby_dick_first1000lines.txt');
    // 1,000-byte reads: about 58 chunks, many ending inside an em dash (3 bytes in UTF-8)
    const lines = await collect(readLines(path, { highWaterMark: 1000 }));
    expect(lines).toHaveLength(1000); // wc -l
    expect(lines.filter((l) => /whale/i.test(l))).toHaveLength(15); // grep -ci whale
    expect(lines.join('\n') + '\n').toBe(readFileSync(path, 'utf8'));
  });

  it('a missing file is an error, not an empty stream', async () => {
    await expect(collect(readCsv(`${dataDir()}/no-such-file.csv`))).rejects.toThrow(/ENOENT/);
  });
});
