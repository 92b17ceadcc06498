/**
 * N-grams: torchtext's `ngrams_iterator` (n-grams as strings) and fastText's hashing trick
 * (`Dictionary::hash`, `addWordNgrams`, `computeSubwords` in fastText's src/dictionary.cc),
 * bit for bit, so bucket ids match a fastText model's input rows.
 */
import { ValueError } from '@torchlet/tensor';

const encoder = new TextEncoder();
const FNV_OFFSET = 2166136261;
const FNV_PRIME = 16777619;
/** fastText's word n-gram multiplier. */
const NGRAM_MUL = 116049371;

/**
 * fastText's `Dictionary::hash`: 32-bit FNV-1a over the word's UTF-8 bytes, where each byte
 * is first sign-extended as a (signed) `int8_t`, exactly as fastText does for compatibility
 * with its released models (for ASCII this is plain FNV-1a). Returns a uint32.
 */
export function fastTextHash(word: string): number {
  return hashBytes(encoder.encode(word), 0, -1);
}

function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  const stop = end < 0 ? bytes.length : end;
  for (let i = start; i < stop; i++) {
    const b = bytes[i]!;
    h = (h ^ (b < 0x80 ? b : b | 0xffffff00)) >>> 0;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h;
}

function checkBucket(bucket: number, op: string): void {
  if (!Number.isInteger(bucket) || bucket <= 0 || bucket > 0x7fffffff) throw new ValueError(`${op}: bucket must be a positive int32 (got ${bucket})`);
}

/**
 * Bucket ids of a text's word n-grams (2 ≤ n ≤ `wordNgrams`), fastText's `addWordNgrams`:
 * for each start `i`, `h = hash_i` then for each following word `h = h · 116049371 +
 * hash_j` in uint64 arithmetic (each int32 word hash sign-extended, as fastText stores them
 * in a `std::vector<int32_t>`), emitting `h mod bucket`. In that order: all n-grams
 * starting at word 0 (bigram, trigram, …), then word 1, …
 *
 * `tokens` are words or their `fastTextHash`es. fastText's own input rows for these are
 * `nwords + id` (see `addWordNgrams`). Note that fastText's training reader appends the
 * end-of-sentence token `'</s>'` to each line, so its n-grams include it.
 */
export function wordNgramBuckets(tokens: readonly string[] | ArrayLike<number>, wordNgrams: number, bucket: number): number[] {
  if (!Number.isInteger(wordNgrams) || wordNgrams < 1) throw new ValueError(`wordNgramBuckets: wordNgrams must be a positive integer (got ${wordNgrams})`);
  checkBucket(bucket, 'wordNgramBuckets');
  const n = tokens.length;
  const hashes = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    hashes[i] = typeof t === 'string' ? fastTextHash(t) : t >>> 0;
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const hi0 = hashes[i]!;
    let hi = hi0 >= 0x80000000 ? 0xffffffff : 0;
    let lo = hi0;
    for (let j = i + 1; j < n && j < i + wordNgrams; j++) {
      // (hi, lo) *= 116049371 (mod 2^64), with exact 16-bit partial products.
      const ll = lo & 0xffff;
      const lh = lo >>> 16;
      const a = ll * NGRAM_MUL;
      const t = lh * NGRAM_MUL + Math.floor(a / 65536);
      const newLo = (t % 65536) * 65536 + (a % 65536);
      const carry = Math.floor(t / 65536);
      const newHi = (Math.imul(hi, NGRAM_MUL) + carry) >>> 0;
      // += sign-extended int32 hash_j
      const x = hashes[j]!;
      const s = newLo + x;
      lo = s >>> 0;
      hi = (newHi + (x >= 0x80000000 ? 0xffffffff : 0) + (s >= 4294967296 ? 1 : 0)) >>> 0;
      // (hi · 2^32 + lo) mod bucket
      let r = hi % bucket;
      r = (r * 65536 + (lo >>> 16)) % bucket;
      r = (r * 65536 + (lo & 0xffff)) % bucket;
      out.push(r);
    }
  }
  return out;
}

/**
 * fastText's input row ids for a line: the word ids followed by `nwords + bucketId` for
 * each word n-gram (`wordNgramBuckets`), as `Dictionary::getLine` + `addWordNgrams` build
 * them (without subwords).
 */
export function addWordNgrams(wordIds: readonly number[], tokens: readonly string[] | ArrayLike<number>, wordNgrams: number, bucket: number, nwords: number): number[] {
  const out = [...wordIds];
  if (wordNgrams > 1) for (const b of wordNgramBuckets(tokens, wordNgrams, bucket)) out.push(nwords + b);
  return out;
}

/**
 * Character n-gram bucket ids of a word, fastText's `computeSubwords` on `<word>`: every
 * n-gram of `minn … maxn` UTF-8 characters, except the lone `<` and `>`, hashed with
 * `fastTextHash` mod `bucket`, in fastText's order.
 */
export function charNgramBuckets(word: string, minn: number, maxn: number, bucket: number): number[] {
  checkBucket(bucket, 'charNgramBuckets');
  const bytes = encoder.encode(`<${word}>`);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i]! & 0xc0) === 0x80) continue;
    let j = i;
    for (let n = 1; j < bytes.length && n <= maxn; n++) {
      j++;
      while (j < bytes.length && (bytes[j]! & 0xc0) === 0x80) j++;
      if (n >= minn && !(n === 1 && (i === 0 || j === bytes.length))) out.push(hashBytes(bytes, i, j) % bucket);
    }
  }
  return out;
}

/**
 * torchtext's `ngrams_iterator(token_list, ngrams)`: the tokens, then every 2-gram, …,
 * `n`-gram joined by spaces.
 */
export function* ngramsIterator(tokens: readonly string[], n: number): Generator<string> {
  if (!Number.isInteger(n) || n < 1) throw new ValueError(`ngramsIterator: n must be a positive integer (got ${n})`);
  yield* tokens;
  for (let k = 2; k <= n; k++) {
    for (let i = 0; i + k <= tokens.length; i++) yield tokens.slice(i, i + k).join(' ');
  }
}
