import { describe, expect, it } from 'vitest';
import { BufferPool, sizeClass } from './pool.js';

class FakeBuffer {
  destroyed = false;
  constructor(readonly size: number) {}
  destroy(): void {
    this.destroyed = true;
  }
}

function pool(maxPooledBytes?: number) {
  const created: FakeBuffer[] = [];
  const p = new BufferPool<FakeBuffer>({
    create: (bytes) => {
      const b = new FakeBuffer(bytes);
      created.push(b);
      return b;
    },
    maxPooledBytes,
  });
  return { p, created };
}

describe('sizeClass', () => {
  it('rounds small requests up to 64 bytes', () => {
    expect(sizeClass(0)).toBe(64);
    expect(sizeClass(4)).toBe(64);
    expect(sizeClass(64)).toBe(64);
  });

  it('uses four classes per power of two, wasting at most a quarter', () => {
    expect(sizeClass(65)).toBe(80);
    expect(sizeClass(1024)).toBe(1024);
    expect(sizeClass(1025)).toBe(1280);
    expect(sizeClass(1500)).toBe(1536);
    for (let bytes = 1; bytes < 100000; bytes += 37) {
      const c = sizeClass(bytes);
      expect(c).toBeGreaterThanOrEqual(bytes);
      expect(c % 16).toBe(0);
      if (bytes > 64) expect(c).toBeLessThanOrEqual(bytes * 1.25 + 16);
    }
  });
});

describe('BufferPool', () => {
  it('reuses a released buffer of the same size class', () => {
    const { p, created } = pool();
    const a = p.acquire(1000);
    expect(a.size).toBe(sizeClass(1000));
    p.release(a);
    expect(p.stats()).toMatchObject({ pooledBuffers: 1, pooledBytes: a.size });
    const b = p.acquire(990); // same class
    expect(b).toBe(a);
    expect(created).toHaveLength(1);
    expect(p.stats()).toMatchObject({ pooledBuffers: 0, pooledBytes: 0, created: 1, reused: 1 });
  });

  it('does not hand out a buffer of another class', () => {
    const { p, created } = pool();
    p.release(p.acquire(100));
    const big = p.acquire(5000);
    expect(big.size).toBe(sizeClass(5000));
    expect(created).toHaveLength(2);
  });

  it('destroys buffers beyond its capacity instead of keeping them', () => {
    const { p } = pool(200);
    const a = p.acquire(128);
    const b = p.acquire(128);
    p.release(a);
    p.release(b);
    expect(a.destroyed).toBe(false);
    expect(b.destroyed).toBe(true);
    expect(p.stats()).toMatchObject({ pooledBuffers: 1, pooledBytes: 128, destroyed: 1 });
  });

  it('trim destroys every spare buffer', () => {
    const { p, created } = pool();
    const bufs = [p.acquire(10), p.acquire(300), p.acquire(300)];
    bufs.forEach((b) => p.release(b));
    p.trim();
    expect(created.every((b) => b.destroyed)).toBe(true);
    expect(p.stats()).toMatchObject({ pooledBuffers: 0, pooledBytes: 0, destroyed: 3 });
  });
});
