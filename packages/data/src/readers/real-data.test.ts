// The readers on the real datasets in /work/shared/data (see its README). These tests
// fail loudly when the files are missing: they are part of the project's test data.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor } from '@torchlet/tensor';
import { readCsv, readTsv } from './csv.js';
import { readLines } from './lines.js';
import { basicEnglish } from '../text/tokenizer.js';
import { Vocab } from '../text/vocab.js';
import { windowed } from '../timeseries/windowed.js';
import { splitByTime } from '../timeseries/split.js';
import { StandardScaler } from '../timeseries/scalers.js';

const DATA = '/work/shared/data';

function need(file: string): string {
  const path = `${DATA}/${file}`;
  if (!existsSync(path)) throw new Error(`missing test data file ${path} (see ${DATA}/README.md)`);
  return path;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('real files', () => {
  it('fine_foods_training.tsv: 4,000 reviews, labels great/other, quotes kept as text', async () => {
    const rows = await collect(readTsv(need('fine_foods_training.tsv'), { highWaterMark: 16384 }));
    expect(rows).toHaveLength(4000);
    expect(Object.keys(rows[0]!)).toEqual(['score', 'product', 'review']);
    const counts = { great: 0, other: 0 } as Record<string, number>;
    for (const r of rows) counts[r.score!]!++;
    expect(counts).toEqual({ great: 2600, other: 1400 });
    // line 2075 of the file (row 2074): a review that starts with a quote (no CSV quoting in this TSV)
    expect(rows[2073]!.review!.startsWith('"Lavazza Italian Coffee, Caffe Espresso" is the best coffee')).toBe(true);
    const vocab = Vocab.build(rows.map((r) => basicEnglish(r.review!)), { minFreq: 5, specials: ['<pad>', '<unk>'], defaultToken: '<unk>' });
    // 3,759 by a Python transcription of torchtext's basic_english + build_vocab_from_iterator
    expect(vocab.length).toBe(3759);
    expect(vocab.getItos().slice(0, 7)).toEqual(['<pad>', '<unk>', '.', 'the', ',', 'i', 'and']);
    expect(vocab.lookupIndices(['the', 'qwertyuiop'])).toEqual([3, 1]);
    const test = await collect(readTsv(need('fine_foods_testing.tsv')));
    expect(test).toHaveLength(1000);
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

  it('moby_dick.txt streams line by line', async () => {
    let lines = 0;
    let whale = 0;
    for await (const line of readLines(need('moby_dick.txt'))) {
      lines++;
      if (/whale/i.test(line)) whale++;
    }
    expect(lines).toBeGreaterThan(20000);
    expect(whale).toBeGreaterThan(1000);
  });

  it('a missing file is an error, not an empty stream', async () => {
    await expect(collect(readCsv(`${DATA}/no-such-file.csv`))).rejects.toThrow(/ENOENT/);
  });
});
