import { describe, expect, it } from 'vitest';
import * as torch from '../index.js';

describe('tensor core smoke', () => {
  it('adds with broadcasting and prints like PyTorch', () => {
    const a = torch.tensor([[1, 2], [3, 4]]);
    const b = torch.tensor([10, 20]);
    const c = a.add(b).mul(0.5);
    expect(c.tolist()).toEqual([[5.5, 11], [6.5, 12]]);
    expect(c.toString()).toBe('tensor([[ 5.5000, 11.0000],\n        [ 6.5000, 12.0000]])');
    expect(torch.tensor([1, 2]).toString()).toBe('tensor([1., 2.])');
  });
});
