import { describe, expect, it } from 'vitest';
import { memoryStats, tensor, type Tensor } from '@torchlet/tensor';
import { CollateError, defaultCollate, defaultConvert, makeCollate, padCollate } from './collate.js';
import { padSequence } from '../text/pad-sequence.js';

const vals = (t: Tensor) => Array.from(t.dataSync());

describe('defaultCollate', () => {
  it('stacks tensors and turns numbers / booleans / typed arrays into tensors', () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    const out = defaultCollate([a, b]);
    expect(out.shape).toEqual([2, 2]);
    expect(vals(out)).toEqual([1, 2, 3, 4]);
    const ints = defaultCollate([1, 2, 3]);
    expect(ints.dtype).toBe('int32');
    const floats = defaultCollate([1, 2.5]);
    expect(floats.dtype).toBe('float32');
    expect(vals(floats)).toEqual([1, 2.5]);
    expect(defaultCollate([1, 2], { numberDType: 'float32' }).dtype).toBe('float32');
    const bools = defaultCollate([true, false]);
    expect(bools.dtype).toBe('bool');
    const typed = defaultCollate([new Float32Array([1, 2, 3]), new Float32Array([4, 5, 6])]);
    expect(typed.shape).toEqual([2, 3]);
    expect(typed.dtype).toBe('float32');
    const pixels = defaultCollate([new Uint8Array([255, 0]), new Uint8Array([7, 9])]);
    expect(pixels.dtype).toBe('int32');
    expect(vals(pixels)).toEqual([255, 0, 7, 9]);
    for (const t of [a, b, out, ints, floats, bools, typed, pixels]) t.dispose();
  });

  it('keeps the structure of tuples and objects; strings stay lists', () => {
    const batch = [
      { x: new Float32Array([1, 2]), y: 0, meta: { name: 'a', ok: true } },
      { x: new Float32Array([3, 4]), y: 1, meta: { name: 'b', ok: false } },
    ];
    const out = defaultCollate(batch);
    expect(out.x.shape).toEqual([2, 2]);
    expect(vals(out.y)).toEqual([0, 1]);
    expect(out.meta.name).toEqual(['a', 'b']);
    expect(vals(out.meta.ok)).toEqual([1, 0]);
    const tuples = defaultCollate([[1, 'p'], [2, 'q']] as [number, string][]);
    expect(vals(tuples[0])).toEqual([1, 2]);
    expect(tuples[1]).toEqual(['p', 'q']);
    for (const t of [out.x, out.y, out.meta.ok, tuples[0]]) t.dispose();
  });

  it('names the batch item and the field that cannot be collated', () => {
    const batch = [{ x: 1, y: { label: 2 } }, { x: 2, y: { label: 3 } }, { x: 3, y: { label: 'oops' } }];
    let err: unknown;
    try {
      defaultCollate(batch as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CollateError);
    expect((err as CollateError).batchIndex).toBe(2);
    expect((err as CollateError).field).toBe('y.label');
    expect((err as Error).message).toMatch(/batch item 2, field 'y\.label'/);
    const a = tensor([1, 2]);
    const b = tensor([1, 2, 3]);
    expect(() => defaultCollate([[a], [b]])).toThrow(/stack expects each tensor to be equal size, but got \[2\] at item 0 and \[3\] at item 1 \(batch item 1, field '\[0\]'\)/);
    expect(() => defaultCollate([{ a: 1 }, { b: 2 }] as never)).toThrow(/missing key 'a'/);
    expect(() => defaultCollate([[1, 2], [1]])).toThrow(/each element in list of batch should be of equal size/);
    expect(() => defaultCollate([null])).toThrow(/found null/);
    a.dispose();
    b.dispose();
  });

  it('frees what it built when a later field fails', () => {
    const before = memoryStats().liveTensors;
    expect(() => defaultCollate([{ a: 1, b: 1 }, { a: 2, b: 'x' }] as never)).toThrow(CollateError);
    expect(memoryStats().liveTensors).toBe(before);
  });

  it('makeCollate and defaultConvert', () => {
    const c = makeCollate<number>({ numberDType: 'float64' })([1, 2]);
    expect(c.dtype).toBe('float64');
    c.dispose();
    const conv = defaultConvert({ a: new Int32Array([1, 2]), b: 3 }) as { a: Tensor; b: number };
    expect(conv.a.dtype).toBe('int32');
    expect(conv.b).toBe(3);
    conv.a.dispose();
  });
});

describe('padSequence and padCollate', () => {
  it("padSequence lays out [T, B, *] (or [B, T, *]) like PyTorch's pad_sequence", () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4]);
    const c = tensor([5, 6]);
    const tb = padSequence([a, b, c]);
    expect(tb.shape).toEqual([3, 3]);
    expect(tb.tolist()).toEqual([[1, 4, 5], [2, 0, 6], [3, 0, 0]]);
    const bt = padSequence([a, b, c], { batchFirst: true, paddingValue: -1 });
    expect(bt.tolist()).toEqual([[1, 2, 3], [4, -1, -1], [5, 6, -1]]);
    const left = padSequence([a, b], { batchFirst: true, paddingSide: 'left' });
    expect(left.tolist()).toEqual([[1, 2, 3], [0, 0, 4]]);
    const feats = padSequence([tensor([[1, 1], [2, 2]]), tensor([[3, 3]])], { batchFirst: true });
    expect(feats.shape).toEqual([2, 2, 2]);
    expect(feats.tolist()).toEqual([[[1, 1], [2, 2]], [[3, 3], [0, 0]]]);
    for (const t of [a, b, c, tb, bt, left, feats]) t.dispose();
  });

  it('padCollate returns the padded batch, int32 lengths and the collated rest; unpadding round-trips', () => {
    const seqs = [tensor(new Int32Array([5, 6, 7])), tensor(new Int32Array([8])), tensor(new Int32Array([9, 10]))];
    const batch = seqs.map((s, i) => [s, i % 2] as [Tensor, number]);
    const before = memoryStats().liveTensors;
    const { padded, lengths, rest } = padCollate(batch, { batchFirst: true });
    expect(padded.shape).toEqual([3, 3]);
    expect(padded.dtype).toBe('int32');
    expect(lengths.dtype).toBe('int32');
    expect(lengths.device).toBe('cpu');
    expect(vals(lengths)).toEqual([3, 1, 2]);
    expect(vals(rest![0] as Tensor)).toEqual([0, 1, 0]);
    // Round trip: row i, first lengths[i] steps = sequence i.
    const rows = padded.tolist() as number[][];
    const L = vals(lengths);
    rows.forEach((row, i) => expect(row.slice(0, L[i])).toEqual(vals(seqs[i]!)));
    rows.forEach((row, i) => expect(row.slice(L[i]).every((v) => v === 0)).toBe(true));
    for (const t of [padded, lengths, rest![0] as Tensor]) t.dispose();
    expect(memoryStats().liveTensors).toBe(before);
    const tb = padCollate(seqs);
    expect(tb.padded.shape).toEqual([3, 3]);
    expect(tb.rest).toBeUndefined();
    tb.padded.dispose();
    tb.lengths.dispose();
    expect(() => padCollate([[seqs[0]!, 1], [seqs[1]!, 'x']] as never)).toThrow(/field '\[1\]'/);
    seqs.forEach((s) => s.dispose());
  });
});
