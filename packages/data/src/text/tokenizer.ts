/**
 * Tokenizers: torchtext's `basic_english` (`getTokenizer('basic_english')`) and a Unicode
 * word/punctuation splitter (`tokenize`).
 */
import { ValueError } from '@torchlet/tensor';

/** A function from a string to its tokens. */
export type Tokenizer = (text: string) => string[];

// torchtext.data.utils._basic_english_normalize, pattern for pattern.
const BASIC_ENGLISH: readonly (readonly [RegExp, string])[] = [
  [/'/g, " '  "],
  [/"/g, ''],
  [/\./g, ' . '],
  [/<br \/>/g, ' '],
  [/,/g, ' , '],
  [/\(/g, ' ( '],
  [/\)/g, ' ) '],
  [/!/g, ' ! '],
  [/\?/g, ' ? '],
  [/;/g, ' '],
  [/:/g, ' '],
  [/\s+/g, ' '],
];

/**
 * torchtext's `basic_english` normalizer: lowercases, splits off `' . , ( ) ! ?`, drops
 * `" ; :` and `<br />`, then splits on whitespace.
 *
 * ```ts
 * basicEnglish("You can now install TorchText using pip!") // ['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']
 * ```
 */
export function basicEnglish(text: string): string[] {
  let line = text.toLowerCase();
  for (const [pattern, repl] of BASIC_ENGLISH) line = line.replace(pattern, repl);
  return line.split(' ').filter((t) => t.length > 0);
}

/** Splits on whitespace only (`getTokenizer(null)`: Python's `str.split`). */
export function splitTokenizer(text: string): string[] {
  return text.split(/\s+/).filter((t) => t.length > 0);
}

/** Options of `tokenize`. */
export interface TokenizeOptions {
  /** Lowercase first (default true). */
  lowercase?: boolean;
  /** Keep punctuation marks as their own tokens (default true); false drops them. */
  keepPunctuation?: boolean;
}

const WORD_OR_PUNCT = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;
const WORD = /[\p{L}\p{M}\p{N}]/u;

/**
 * A simple Unicode tokenizer: lowercases, keeps runs of letters/digits (with inner
 * apostrophes, `don't`) as words and every other non-space character as a token of its own.
 *
 * ```ts
 * tokenize('Hello, World! Don\'t panic.') // ['hello', ',', 'world', '!', "don't", 'panic', '.']
 * ```
 */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  const src = options.lowercase ?? true ? text.toLowerCase() : text;
  const tokens = src.match(WORD_OR_PUNCT) ?? [];
  return options.keepPunctuation ?? true ? tokens : tokens.filter((t) => WORD.test(t));
}

/**
 * `torchtext.data.utils.get_tokenizer`: `'basic_english'`, `'simple'` (`tokenize`), `null`
 * (whitespace split), or a function (returned as is).
 */
export function getTokenizer(name: 'basic_english' | 'simple' | null | Tokenizer): Tokenizer {
  if (typeof name === 'function') return name;
  if (name === null) return splitTokenizer;
  if (name === 'basic_english') return basicEnglish;
  if (name === 'simple') return (t) => tokenize(t);
  throw new ValueError(`getTokenizer: unknown tokenizer '${String(name)}' (known: 'basic_english', 'simple', null, or a function)`);
}
