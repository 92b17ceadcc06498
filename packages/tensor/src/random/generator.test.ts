import { philoxBlocks } from '@torchlet/backend';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../core/errors.js';
import { memoryStats, rand, randn } from '../index.js';
import {
  DEFAULT_SEED,
  Generator,
  defaultGenerator,
  getRngState,
  hostDoubles,
  initialSeed,
  manualSeed,
  seed,
  setRngState,
} from './generator.js';

function drawRand(n: number, g?: Generator): number[] {
  const t = rand([n], g ? { generator: g } : {});
  try {
    return Array.from(t.dataSync());
  } finally {
    t.dispose();
  }
}

describe('Generator', () => {
  it('starts from PyTorch default seed at offset 0', () => {
    const g = new Generator();
    expect(g.initialSeed()).toBe(DEFAULT_SEED);
    expect(g.getState()).toEqual({ seed: DEFAULT_SEED, offset: 0 });
    expect(g.device).toBe('cpu');
  });

  it('manualSeed returns the generator and restarts the stream', () => {
    const g = new Generator();
    expect(g.manualSeed(7)).toBe(g);
    const a = drawRand(10, g);
    g.manualSeed(7);
    expect(drawRand(10, g)).toEqual(a);
  });

  it('gives different streams for different seeds', () => {
    const a = drawRand(16, new Generator().manualSeed(1));
    const b = drawRand(16, new Generator().manualSeed(2));
    expect(a).not.toEqual(b);
  });

  it('advances the offset by philoxBlocks of each draw', () => {
    const g = new Generator().manualSeed(3);
    rand([10], { generator: g }).dispose();
    expect(g.offset).toBe(philoxBlocks('uniform', 10));
    randn([5], { generator: g }).dispose();
    expect(g.offset).toBe(philoxBlocks('uniform', 10) + philoxBlocks('normal', 5));
  });

  it('consecutive draws continue the stream rather than repeat it', () => {
    const g = new Generator().manualSeed(11);
    const first = drawRand(8, g);
    const second = drawRand(8, g);
    g.manualSeed(11);
    expect(drawRand(16, g)).toEqual([...first, ...second]);
  });

  it('getState / setState replay the stream from a saved point, through JSON', () => {
    const g = new Generator().manualSeed(5);
    drawRand(3, g);
    const saved = JSON.parse(JSON.stringify(g.getState()));
    const a = drawRand(12, g);
    drawRand(4, g);
    expect(g.setState(saved)).toBe(g);
    expect(drawRand(12, g)).toEqual(a);
  });

  it('getState returns a copy', () => {
    const g = new Generator().manualSeed(5);
    const s = g.getState();
    drawRand(9, g);
    expect(s.offset).toBe(0);
  });

  it('is independent of the default generator', () => {
    manualSeed(99);
    const g = new Generator().manualSeed(99);
    const fromDefault = drawRand(6);
    drawRand(100, new Generator().manualSeed(1234));
    expect(drawRand(6, g)).toEqual(fromDefault);
  });

  it('seed() picks a fresh seed that initialSeed reports', () => {
    const g = new Generator();
    const s1 = g.seed();
    expect(Number.isSafeInteger(s1)).toBe(true);
    expect(g.initialSeed()).toBe(s1);
    expect(g.offset).toBe(0);
    const s2 = g.seed();
    expect(s2).not.toBe(s1);
  });

  it('wraps negative seeds and rejects non-integers', () => {
    const g = new Generator();
    expect(g.manualSeed(-1).initialSeed()).toBe(2 ** 53 - 1);
    expect(() => g.manualSeed(1.5)).toThrow(ValueError);
    expect(() => g.manualSeed(2 ** 60)).toThrow(ValueError);
    expect(() => g.setState({ seed: 1, offset: -1 })).toThrow(ValueError);
  });

  it('uses all 64 bits of a large seed', () => {
    const a = drawRand(8, new Generator().manualSeed(2 ** 40 + 1));
    const b = drawRand(8, new Generator().manualSeed(1));
    expect(a).not.toEqual(b);
  });

  it('nextDoubles gives 53-bit doubles in [0, 1) from the host stream', () => {
    const g = new Generator().manualSeed(8);
    const d = g.nextDoubles(5);
    expect(g.offset).toBe(3);
    const ref = new Float64Array(5);
    hostDoubles(8, 0, ref);
    expect(Array.from(d)).toEqual(Array.from(ref));
    for (const v of d) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
    // More resolution than float32's 24 bits.
    expect(d.some((v) => Math.fround(v) !== v)).toBe(true);
  });
});

describe('default generator functions', () => {
  it('manualSeed seeds the default generator and returns it', () => {
    expect(manualSeed(42)).toBe(defaultGenerator);
    expect(initialSeed()).toBe(42);
    const a = drawRand(10);
    manualSeed(42);
    expect(drawRand(10)).toEqual(a);
  });

  it('getRngState / setRngState replay the default stream', () => {
    manualSeed(0);
    drawRand(3);
    const state = getRngState();
    const a = drawRand(7);
    setRngState(state);
    expect(drawRand(7)).toEqual(a);
  });

  it('seed() reseeds non-deterministically', () => {
    const s = seed();
    expect(initialSeed()).toBe(s);
    expect(getRngState()).toEqual({ seed: s, offset: 0 });
  });

  it('leaves no tensors behind', () => {
    const before = memoryStats();
    manualSeed(1);
    drawRand(100);
    expect(memoryStats().liveTensors).toBe(before.liveTensors);
    expect(memoryStats().liveStorages).toBe(before.liveStorages);
  });
});
