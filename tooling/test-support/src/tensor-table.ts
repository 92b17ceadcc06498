/**
 * The tensor core's PyTorch fixture table: each fixture case of group `tensor` (its
 * `config.call`, the exact PyTorch expression) and the Torchlet code that computes the same
 * outputs. Driven over every device by tensor's `fixtures.test.ts` (forward) and autograd's
 * (gradients); the inputs arrive on the device under test, and an entry that creates tensors
 * of its own puts them on `ctx.device`.
 */
import type { DeviceName } from '@torchlet/backend';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';

/** A case's inputs by name (`in.a` → `a`), on the device under test. */
export type FixtureInputs = Record<string, Tensor>;
/** What an entry computes, by output name (`out.output` → `output`). */
export type FixtureOutputs = Record<string, Tensor>;

/** Where the case runs. */
export interface FixtureContext {
  /** The device under test. */
  readonly device: DeviceName;
}

/** One row of the table: a fixture case's PyTorch call and the Torchlet code for it. */
export interface FixtureEntry {
  /** The PyTorch call, as recorded in the case's config (checked against it). */
  readonly call: string;
  /** Computes the case's outputs from its inputs. */
  readonly run: (inputs: FixtureInputs, ctx: FixtureContext) => FixtureOutputs;
}

const output = (t: Tensor): FixtureOutputs => ({ output: t });

/** PyTorch `config.call` → Torchlet, by case name. */
export const TENSOR_FIXTURES: Record<string, FixtureEntry> = {
  add_broadcast: { call: 'a + b', run: ({ a, b }) => output(torch.add(a!, b!)) },
  mul_broadcast: { call: 'a * b', run: ({ a, b }) => output(torch.mul(a!, b!)) },
  div: { call: 'a / b', run: ({ a, b }) => output(torch.div(a!, b!)) },
  pow: { call: 'a ** b', run: ({ a, b }) => output(torch.pow(a!, b!)) },
  exp: { call: 'torch.exp(x)', run: ({ x }) => output(torch.exp(x!)) },
  tanh: { call: 'torch.tanh(x)', run: ({ x }) => output(torch.tanh(x!)) },
  sigmoid: { call: 'torch.sigmoid(x)', run: ({ x }) => output(torch.sigmoid(x!)) },
  relu: { call: 'torch.relu(x)', run: ({ x }) => output(torch.relu(x!)) },
  abs: { call: 'torch.abs(x)', run: ({ x }) => output(torch.abs(x!)) },
  sin: { call: 'torch.sin(x)', run: ({ x }) => output(torch.sin(x!)) },
  cos: { call: 'torch.cos(x)', run: ({ x }) => output(torch.cos(x!)) },
  neg: { call: 'torch.neg(x)', run: ({ x }) => output(torch.neg(x!)) },
  log: { call: 'torch.log(x)', run: ({ x }) => output(torch.log(x!)) },
  sqrt: { call: 'torch.sqrt(x)', run: ({ x }) => output(torch.sqrt(x!)) },
  clamp: { call: 'x.clamp(-0.5, 0.7)', run: ({ x }) => output(x!.clamp(-0.5, 0.7)) },
  sum_dim: { call: 'x.sum(dim=1)', run: ({ x }) => output(x!.sum(1)) },
  sum_keepdim: { call: 'x.sum(dim=(0, 2), keepdim=True)', run: ({ x }) => output(x!.sum([0, 2], { keepdim: true })) },
  mean: { call: 'x.mean(dim=-1)', run: ({ x }) => output(x!.mean(-1)) },
  var_unbiased: { call: 'x.var(dim=1)', run: ({ x }) => output(x!.var(1)) },
  max_dim: {
    call: "dict(zip(('values', 'indices'), x.max(dim=1)))",
    run: ({ x }) => {
      const { values, indices } = x!.max(1);
      return { values, indices };
    },
  },
  argmax: { call: 'x.argmax(dim=-1)', run: ({ x }) => output(x!.argmax(-1)) },
  logsumexp: { call: 'torch.logsumexp(x, dim=1)', run: ({ x }) => output(torch.logsumexp(x!, 1)) },
  matmul_2d: { call: 'torch.matmul(input, other)', run: ({ input, other }) => output(torch.matmul(input!, other!)) },
  matmul_batched_broadcast: { call: 'torch.matmul(input, other)', run: ({ input, other }) => output(torch.matmul(input!, other!)) },
  matmul_vec: { call: 'torch.matmul(input, other)', run: ({ input, other }) => output(torch.matmul(input!, other!)) },
  bmm: { call: 'torch.bmm(input, mat2)', run: ({ input, mat2 }) => output(torch.bmm(input!, mat2!)) },
  transpose_contiguous: {
    call: 'x.transpose(0, 2).contiguous() * 2',
    run: ({ x }) => output(torch.mul(torch.contiguous(torch.transpose(x!, 0, 2)), 2)),
  },
  permute: { call: 'x.permute(2, 0, 1) * 1.5', run: ({ x }) => output(torch.mul(torch.permute(x!, 2, 0, 1), 1.5)) },
  expand: { call: 'x.expand(3, 4, 5) * 1.0', run: ({ x }) => output(torch.mul(torch.expand(x!, 3, 4, 5), 1.0)) },
  slice_step: {
    call: 'x[1:, ::2] * 1.0',
    run: ({ x }) => output(torch.mul(torch.slice(torch.slice(x!, 0, 1, null, null), 1, null, null, 2), 1.0)),
  },
  cat: { call: 'torch.cat([a, b], dim=1)', run: ({ a, b }) => output(torch.cat([a!, b!], 1)) },
  stack: { call: 'torch.stack([a, b], dim=0)', run: ({ a, b }) => output(torch.stack([a!, b!], 0)) },
  where: { call: 'torch.where(x > 0, x, y)', run: ({ x, y }) => output(torch.where(torch.gt(x!, 0), x!, y!)) },
  gather: { call: 'torch.gather(x, 1, index)', run: ({ x, index }) => output(torch.gather(x!, 1, index!)) },
  index_select: { call: 'torch.index_select(x, 0, index)', run: ({ x, index }) => output(torch.indexSelect(x!, 0, index!)) },
  cdist: { call: 'torch.cdist(x1, x2)', run: ({ x1, x2 }) => output(torch.cdist(x1!, x2!)) },
  cumsum: { call: 'torch.cumsum(x, dim=1)', run: ({ x }) => output(torch.cumsum(x!, 1)) },
  norm: { call: 'torch.linalg.vector_norm(x, dim=1)', run: ({ x }) => output(torch.linalg.vectorNorm(x!, { dim: 1 })) },
};
