import { philoxFill, type RandomKind } from '@torchlet/backend';
import { describe, expect, it } from 'vitest';
import { be, empty, permute, values } from '../../test/helpers.js';

describe('random', () => {
  it.each([['uniform'], ['normal'], ['bernoulli']] as [RandomKind][])('%s matches philoxFill bit for bit (float64)', (kind) => {
    const n = 13;
    const out = empty('float64', [n]);
    be.random(kind, out, 1234567890123, 77, 0.3);
    const want = new Float64Array(n);
    philoxFill(kind, want, n, 1234567890123, 77, 0.3);
    expect(values(out)).toEqual(Array.from(want));
  });

  it('float32 uniform and bool bernoulli match philoxFill', () => {
    const out = empty('float32', [3, 3]);
    be.random('uniform', out, 5, 0);
    const want = new Float32Array(9);
    philoxFill('uniform', want, 9, 5, 0);
    expect(values(out)).toEqual(Array.from(want));
    const mask = empty('bool', [10]);
    be.random('bernoulli', mask, 5, 3, 0.5);
    const wantMask = new Uint8Array(10);
    philoxFill('bernoulli', wantMask, 10, 5, 3, 0.5);
    expect(values(mask)).toEqual(Array.from(wantMask));
  });

  it('a view at an offset or with strides draws element i from stream position i', () => {
    const base = empty('float64', [2, 3]);
    const t = permute(base, [1, 0]); // [3, 2], strided
    be.random('uniform', t, 9, 1);
    const want = new Float64Array(6);
    philoxFill('uniform', want, 6, 9, 1);
    expect(values(t)).toEqual(Array.from(want));
    const window = { ...empty('float32', [5]), shape: [3], offset: 2 };
    be.random('normal', window, 9, 1);
    const w32 = new Float32Array(3);
    philoxFill('normal', w32, 3, 9, 1);
    expect(values(window)).toEqual(Array.from(w32));
  });

  it('refuses int outputs for uniform', () => {
    expect(() => be.random('uniform', empty('int32', [2]), 1, 0)).toThrow(TypeError);
  });
});
