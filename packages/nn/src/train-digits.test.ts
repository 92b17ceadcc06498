/**
 * Parity with real PyTorch for the added `train_digits_mlp_sgd` fixture
 * (tooling/fixtures/make_digits_train.py): a 64→32→10 MLP on the first 512 8×8 digits,
 * full-batch SGD with momentum and weight decay, starting from PyTorch's initial state dict.
 * The loss must match at every step and the final parameters within the case's tolerance.
 */
import { loadCase, type FixtureTensor } from '@torchlet/fixtures';
import { SGD } from '@torchlet/optim';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { describe, expect, test } from 'vitest';
import { Sequential } from './containers.js';
import { crossEntropy } from './functional/loss.js';
import { ReLU } from './index.js';
import { Linear } from './layers/linear.js';
import { Module } from './module.js';

class DigitsMLP extends Module {
  net: Sequential;
  constructor(features: number, hidden: number, classes: number) {
    super();
    this.net = new Sequential(new Linear(features, hidden), new ReLU(), new Linear(hidden, classes));
  }

  override forward(x: Tensor): Tensor {
    return this.net.call(x);
  }
}

const asTensor = (t: FixtureTensor): Tensor =>
  torch.tensor(t.data, { shape: t.shape, dtype: t.dtype === 'F32' ? 'float32' : 'int32' });

function mismatches(name: string, got: ArrayLike<number>, expected: FixtureTensor, rtol: number, atol: number): string[] {
  const bad: string[] = [];
  if (got.length !== expected.data.length) return [`${name}: ${got.length} values, PyTorch ${expected.data.length}`];
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    const e = expected.data[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) bad.push(`${name}[${i}]: ${a} vs PyTorch ${e}`);
  }
  return bad.length > 4 ? [...bad.slice(0, 4), `… ${bad.length - 4} more of ${got.length}`] : bad;
}

describe('PyTorch fixture train_digits_mlp_sgd', () => {
  test('matches the loss at every step and the final parameters', async () => {
    const lc = loadCase('train_digits_mlp_sgd');
    const c = lc.config;
    expect(lc.kind).toBe('train');
    expect(c.model).toBe('DigitsMLP');
    const before = torch.memoryStats();

    const m = new DigitsMLP(c.features, c.hidden, c.classes);
    const sd: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(lc.t)) if (k.startsWith('param.')) sd[k.slice('param.'.length)] = asTensor(v);
    m.loadStateDict(sd, { strict: true });
    for (const t of Object.values(sd)) t.dispose();
    const x = asTensor(lc.t['in.x']!);
    const y = asTensor(lc.t['in.y']!);
    const opt = new SGD(m.parameters(), { lr: c.lr, momentum: c.momentum, weightDecay: c.weight_decay });

    const losses: number[] = [];
    for (let s = 0; s < c.steps; s++) {
      opt.zeroGrad();
      const logits = m.call(x);
      const loss = crossEntropy(logits, y);
      loss.backward();
      opt.step();
      losses.push((await loss.data())[0]!);
      loss.dispose();
      logits.dispose();
    }

    const problems = mismatches('out.loss', losses, lc.t['out.loss']!, lc.rtol, lc.atol);
    const final = m.stateDict();
    const finalKeys = Object.keys(lc.t).filter((k) => k.startsWith('out.final.'));
    expect(finalKeys.length).toBe(4);
    for (const key of finalKeys) {
      const t = final[key.slice('out.final.'.length)];
      if (!t) problems.push(`${key}: no such parameter`);
      // After 20 steps, as the generated train cases: ten times the one-step tolerance.
      else problems.push(...mismatches(key, await t.data(), lc.t[key]!, lc.rtol, lc.atol));
    }
    expect(problems).toEqual([]);
    // The run moved: the final state is not the initial one.
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! - 0.5);

    x.dispose();
    y.dispose();
    opt.zeroGrad();
    opt.dispose();
    m.dispose();
    const after = torch.memoryStats();
    expect(after.liveTensors - before.liveTensors, 'tensors leaked').toBe(0);
  });
});
