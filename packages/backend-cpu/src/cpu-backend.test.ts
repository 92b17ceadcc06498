import { getBackend } from '@torchlet/backend';
import { describe, expect, it } from 'vitest';
import { CpuBackend, CpuBuffer, cpuBackend } from './index.js';

describe('CpuBackend memory', () => {
  it('registers the singleton as device "cpu" on import', () => {
    expect(getBackend('cpu')).toBe(cpuBackend);
    expect(cpuBackend.name).toBe('cpu');
    expect(cpuBackend.canReadSync).toBe(true);
    expect([...cpuBackend.dtypes].sort()).toEqual(['bool', 'float32', 'float64', 'int32']);
  });

  it('counts live buffers and bytes exactly; double free throws', () => {
    const be = new CpuBackend();
    const a = be.alloc('float64', 10);
    const b = be.alloc('bool', 3);
    const c = be.alloc('int32', 0);
    expect(be.memoryStats()).toEqual({ liveBuffers: 3, liveBytes: 83 });
    be.free(a);
    expect(be.memoryStats()).toEqual({ liveBuffers: 2, liveBytes: 3 });
    expect(() => be.free(a)).toThrow(/double free/);
    be.free(b);
    be.free(c);
    expect(be.memoryStats()).toEqual({ liveBuffers: 0, liveBytes: 0 });
  });

  it('refuses float16 with a clear error', () => {
    expect(() => new CpuBackend().alloc('float16', 4)).toThrow(/float16.*not supported/);
  });

  it('writes at an offset, reads a copy asynchronously and the live array synchronously', async () => {
    const be = new CpuBackend();
    const buf = be.alloc('float32', 4);
    expect(buf).toBeInstanceOf(CpuBuffer);
    be.write(buf, new Float32Array([1, 2]), 1);
    const copy = await be.read(buf);
    expect(Array.from(copy)).toEqual([0, 1, 2, 0]);
    copy[0] = 9;
    expect(be.readSync(buf)[0]).toBe(0);
    expect(() => be.write(buf, new Float32Array(4), 1)).toThrow(RangeError);
    const flags = be.alloc('bool', 2);
    be.write(flags, new Float32Array([0.5, 0]));
    expect(Array.from(be.readSync(flags))).toEqual([1, 0]);
  });

  it('wraps a host array without copying and counts it', () => {
    const be = new CpuBackend();
    const data = new Int32Array([1, 2, 3]);
    const buf = be.wrap(data);
    expect(buf.dtype).toBe('int32');
    expect(be.memoryStats()).toEqual({ liveBuffers: 1, liveBytes: 12 });
    be.fill({ buffer: buf, dtype: 'int32', shape: [1], strides: [1], offset: 1 }, 7);
    expect(Array.from(data)).toEqual([1, 7, 3]);
    be.free(buf);
    expect(be.memoryStats()).toEqual({ liveBuffers: 0, liveBytes: 0 });
    expect(() => be.wrap(new Uint16Array(2))).toThrow(/float16/);
  });

  it('refuses freed buffers in kernels and reads', () => {
    const be = new CpuBackend();
    const buf = be.alloc('float32', 2);
    be.free(buf);
    expect(() => be.readSync(buf)).toThrow(/after free/);
    const view = { buffer: buf, dtype: 'float32' as const, shape: [2], strides: [1], offset: 0 };
    expect(() => be.fill(view, 1)).toThrow(/after free/);
  });
});
