import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValueError } from '@torchlet/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addWordNgrams, charNgramBuckets, fastTextHash, ngramsIterator, wordNgramBuckets } from './ngrams.js';
import { basicEnglish, getTokenizer, tokenize } from './tokenizer.js';
import { Vocab } from './vocab.js';

describe('tokenizers', () => {
  it("basicEnglish matches torchtext's basic_english", () => {
    expect(basicEnglish('You can now install TorchText using pip!')).toEqual(['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']);
    expect(basicEnglish("It's \"great\"; really: <br />Yes.")).toEqual(['it', "'", 's', 'great', 'really', 'yes', '.']);
    expect(getTokenizer(null)('a  b\tc')).toEqual(['a', 'b', 'c']);
  });

  it('tokenize lowercases and splits punctuation, Unicode-aware', () => {
    expect(tokenize("Hello, World! Don't panic.")).toEqual(['hello', ',', 'world', '!', "don't", 'panic', '.']);
    expect(tokenize('Café NAÏVE (x2)', { keepPunctuation: false })).toEqual(['café', 'naïve', 'x2']);
    expect(tokenize('ABC', { lowercase: false })).toEqual(['ABC']);
  });
});

describe('Vocab', () => {
  const texts = [['the', 'cat', 'sat'], ['the', 'dog', 'sat'], ['the', 'end']];

  it('orders by frequency then lexicographically, after the specials, with minFreq / maxSize', () => {
    const v = Vocab.build(texts, { specials: ['<pad>', '<unk>'], defaultToken: '<unk>' });
    expect(v.getItos()).toEqual(['<pad>', '<unk>', 'the', 'sat', 'cat', 'dog', 'end']);
    expect(v.lookupIndices(['the', 'zebra'])).toEqual([2, 1]);
    expect(v.lookupTokens([3, 0])).toEqual(['sat', '<pad>']);
    expect(Vocab.build(texts, { minFreq: 2 }).getItos()).toEqual(['the', 'sat']);
    expect(Vocab.build(texts, { specials: ['<unk>'], maxSize: 3 }).getItos()).toEqual(['<unk>', 'the', 'sat']);
    expect(Vocab.build(texts, { specials: ['<unk>'], specialFirst: false, minFreq: 2 }).getItos()).toEqual(['the', 'sat', '<unk>']);
  });

  it('unknown tokens throw without a default index', () => {
    const v = Vocab.build(texts);
    expect(() => v.indexOf('zebra')).toThrow('Token zebra not found and default index is not set');
    v.setDefaultIndex(0);
    expect(v.indexOf('zebra')).toBe(0);
    expect(() => v.lookupToken(99)).toThrow(/out of bounds/);
    v.insertToken('<bos>', 0);
    expect(v.indexOf('the')).toBe(1);
    expect(v.getDefaultIndex()).toBe(1);
  });

  it('builds from async iterators and round-trips through JSON and files', async () => {
    async function* gen() {
      for (const t of texts) yield t;
    }
    const v = await Vocab.fromIterator(gen(), { specials: ['<unk>'], defaultToken: '<unk>' });
    const back = Vocab.fromJSON(JSON.stringify(v));
    expect(back.getItos()).toEqual(v.getItos());
    expect(back.getDefaultIndex()).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'vocab-'));
    try {
      await v.save(join(dir, 'vocab.json'));
      const loaded = await Vocab.load(join(dir, 'vocab.json'));
      expect(loaded.getItos()).toEqual(v.getItos());
      expect(loaded.indexOf('nope')).toBe(0);
      // a file saved by an editor that writes a byte-order mark
      writeFileSync(join(dir, 'bom.json'), `\uFEFF${JSON.stringify(v)}`);
      expect((await Vocab.load(join(dir, 'bom.json'))).getItos()).toEqual(v.getItos());
      expect(() => Vocab.fromJSON('{"itos": [')).toThrow(ValueError);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

// Expected values printed by a C++ transcription of fastText's src/dictionary.cc (hash,
// addWordNgrams, computeSubwords with the same integer types), compiled with g++.
const WORDS = ['the', 'café', 'naïve', '日本語', '</s>', 'movie', 'was', 'great', '!', 'zzzzzzzz'];
const HASHES = [3020861980, 1970454601, 3440832043, 308035559, 3617362777, 2935200975, 383959538, 4212348398, 604802540, 4276226693];
const NGRAMS_3 = [449981, 1178586, 1970718, 1918353, 11312, 303593, 1978870, 1205441, 1077746, 510584, 477063, 273387, 1731700, 669352, 740998, 612007, 1461737];
const CAFE_SUBWORDS_3_6 = [916747, 1991831, 794639, 17187, 369661, 454601, 761685, 960362, 1966012, 1609697];

/** fastText's addWordNgrams literally, with BigInt uint64 arithmetic. */
function referenceNgrams(hashes: number[], n: number, bucket: number): number[] {
  const M = (1n << 64n) - 1n;
  const signExt = (h: number) => BigInt.asUintN(64, BigInt(h | 0));
  const out: number[] = [];
  for (let i = 0; i < hashes.length; i++) {
    let h = signExt(hashes[i]!);
    for (let j = i + 1; j < hashes.length && j < i + n; j++) {
      h = (h * 116049371n + signExt(hashes[j]!)) & M;
      out.push(Number(h % BigInt(bucket)));
    }
  }
  return out;
}

describe("fastText's hashing trick", () => {
  it('hashes words like fastText (FNV-1a with sign-extended bytes)', () => {
    expect(WORDS.map(fastTextHash)).toEqual(HASHES);
  });

  it('word n-gram buckets match fastText', () => {
    expect(wordNgramBuckets(WORDS, 3, 2_000_000)).toEqual(NGRAMS_3);
    expect(wordNgramBuckets(HASHES, 3, 2_000_000)).toEqual(NGRAMS_3);
    expect(addWordNgrams([0, 1], ['the', 'café'], 2, 2_000_000, 100)).toEqual([0, 1, 100 + NGRAMS_3[0]!]);
    expect(wordNgramBuckets(['a', 'b'], 1, 10)).toEqual([]);
  });

  it('agrees with a BigInt transcription on random hashes and buckets', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 12 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 0x7fffffff }), (hs, n, bucket) => {
        expect(wordNgramBuckets(hs, n, bucket)).toEqual(referenceNgrams(hs, n, bucket));
      }),
      { numRuns: 300 },
    );
  });

  it('character n-grams match computeSubwords', () => {
    expect(charNgramBuckets('café', 3, 6, 2_000_000)).toEqual(CAFE_SUBWORDS_3_6);
  });

  it('ngramsIterator yields the tokens and then the joined n-grams', () => {
    expect([...ngramsIterator(['here', 'we', 'are'], 2)]).toEqual(['here', 'we', 'are', 'here we', 'we are']);
  });
});
