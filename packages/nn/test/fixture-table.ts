/**
 * nn's PyTorch fixture tables: `NN_OP_FIXTURES` maps each `op` case of group
 * `nn.functional` / `loss` (its `config.call`) to Torchlet, `NN_MODULE_FIXTURES` builds the
 * module a `module` case describes (from its `config`) and calls it. Driven over every device
 * by `src/fixtures.test.ts`: inputs arrive on the device under test, modules are moved there
 * before their state dict is loaded, and entries that create tensors of their own put them
 * on `ctx.device`.
 */
import type { DeviceName } from '@torchlet/backend';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import * as nn from '../src/index.js';

const F = nn.functional;

export type FixtureInputs = Record<string, Tensor>;
export type FixtureOutputs = Record<string, Tensor>;

/** Where the case runs. */
export interface FixtureContext {
  readonly device: DeviceName;
}

export interface OpFixtureEntry {
  /** The PyTorch call, as recorded in the case's config (checked against it). */
  readonly call: string;
  readonly run: (inputs: FixtureInputs, ctx: FixtureContext) => FixtureOutputs;
}

export interface ModuleFixtureEntry {
  /** The module a case's `config` describes (on the CPU; the suite moves it). */
  build: (config: Record<string, any>) => nn.Module;
  run: (m: nn.Module, inputs: FixtureInputs, ctx: FixtureContext) => FixtureOutputs;
  /** Devices the case cannot run on yet, each with the reason (the suite skips it there, saying why). */
  unsupported?: Partial<Record<DeviceName, string>>;
}

const output = (t: Tensor): FixtureOutputs => ({ output: t });

/** PyTorch `config.call` → Torchlet, for `op` cases. */
export const NN_OP_FIXTURES: Record<string, OpFixtureEntry> = {
  gelu: { call: 'F.gelu(x)', run: ({ x }) => output(F.gelu(x!)) },
  softplus: { call: 'F.softplus(x)', run: ({ x }) => output(F.softplus(x!)) },
  leaky_relu: { call: 'F.leaky_relu(x, 0.1)', run: ({ x }) => output(F.leakyRelu(x!, 0.1)) },
  elu: { call: 'F.elu(x)', run: ({ x }) => output(F.elu(x!)) },
  softmax: { call: 'F.softmax(x, dim=-1)', run: ({ x }) => output(F.softmax(x!, -1)) },
  log_softmax: { call: 'F.log_softmax(x, dim=1)', run: ({ x }) => output(F.logSoftmax(x!, 1)) },
  one_hot: { call: 'F.one_hot(labels, 6)', run: ({ labels }) => output(F.oneHot(labels!, 6)) },
  dropout_eval: { call: 'F.dropout(x, 0.5, training=False)', run: ({ x }) => output(F.dropout(x!, 0.5, { training: false })) },
  cross_entropy: { call: 'F.cross_entropy(input, target)', run: ({ input, target }) => output(F.crossEntropy(input!, target!)) },
  cross_entropy_label_smoothing: {
    call: 'F.cross_entropy(input, target, label_smoothing=0.1)',
    run: ({ input, target }) => output(F.crossEntropy(input!, target!, { labelSmoothing: 0.1 })),
  },
  cross_entropy_weight_ignore: {
    call: 'F.cross_entropy(input, target, weight=weight, ignore_index=2)',
    run: ({ input, target, weight }) => output(F.crossEntropy(input!, target!, { weight, ignoreIndex: 2 })),
  },
  cross_entropy_probs: { call: 'F.cross_entropy(input, target)', run: ({ input, target }) => output(F.crossEntropy(input!, target!)) },
  nll_loss: {
    call: 'F.nll_loss(F.log_softmax(input, 1), target)',
    run: ({ input, target }) => {
      const lp = F.logSoftmax(input!, 1);
      return output(F.nllLoss(lp, target!));
    },
  },
  mse_loss: { call: 'F.mse_loss(input, target)', run: ({ input, target }) => output(F.mseLoss(input!, target!)) },
  l1_loss: { call: 'F.l1_loss(input, target)', run: ({ input, target }) => output(F.l1Loss(input!, target!)) },
  smooth_l1_loss: {
    call: 'F.smooth_l1_loss(input, target, beta=0.5)',
    run: ({ input, target }) => output(F.smoothL1Loss(input!, target!, { beta: 0.5 })),
  },
  huber_loss: {
    call: 'F.huber_loss(input, target, delta=0.7)',
    run: ({ input, target }) => output(F.huberLoss(input!, target!, { delta: 0.7 })),
  },
  bce_with_logits: {
    call: 'F.binary_cross_entropy_with_logits( input, target, pos_weight=torch.tensor([2.0, 0.5, 1.0]))',
    run: ({ input, target }, { device }) =>
      output(F.binaryCrossEntropyWithLogits(input!, target!, { posWeight: torch.tensor([2.0, 0.5, 1.0], { device }) })),
  },
  kl_div: {
    call: "F.kl_div(F.log_softmax(input, 1), target, reduction='batchmean')",
    run: ({ input, target }) => output(F.klDiv(F.logSoftmax(input!, 1), target!, { reduction: 'batchmean' })),
  },
};

/** `config.module` → Torchlet module and call, for `module` cases. */
export const NN_MODULE_FIXTURES: Record<string, ModuleFixtureEntry> = {
  linear: {
    build: (c) => new nn.Linear(c.in_features, c.out_features),
    run: (m, { input }) => output(m.call(input!)),
  },
  embedding: {
    build: (c) => new nn.Embedding(c.num_embeddings, c.embedding_dim, { paddingIdx: c.padding_idx }),
    run: (m, { input }) => output(m.call(input!)),
  },
  embedding_bag_mean: {
    build: (c) => new nn.EmbeddingBag(c.num_embeddings, c.embedding_dim, { mode: c.mode }),
    run: (m, { input, offsets }) => output(m.call(input!, offsets!)),
  },
  embedding_bag_sum: {
    build: (c) => new nn.EmbeddingBag(c.num_embeddings, c.embedding_dim, { mode: c.mode }),
    run: (m, { input, offsets }) => output(m.call(input!, offsets!)),
  },
  embedding_bag_max: {
    build: (c) => new nn.EmbeddingBag(c.num_embeddings, c.embedding_dim, { mode: c.mode }),
    run: (m, { input, offsets }) => output(m.call(input!, offsets!)),
  },
  embedding_bag_2d_padding: {
    build: (c) => new nn.EmbeddingBag(c.num_embeddings, c.embedding_dim, { mode: c.mode, paddingIdx: c.padding_idx }),
    run: (m, { input }) => output(m.call(input!)),
  },
  embedding_bag_per_sample_weights: {
    build: (c) => new nn.EmbeddingBag(c.num_embeddings, c.embedding_dim, { mode: c.mode }),
    run: (m, { input, offsets, per_sample_weights }) => output(m.call(input!, offsets!, per_sample_weights!)),
  },
  conv1d: {
    build: (c) => new nn.Conv1d(c.in_channels, c.out_channels, c.kernel_size, { padding: c.padding }),
    run: (m, { input }) => output(m.call(input!)),
  },
  conv2d: {
    build: (c) => new nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, { stride: c.stride, padding: c.padding }),
    run: (m, { input }) => output(m.call(input!)),
  },
  layer_norm: {
    build: (c) => new nn.LayerNorm(c.normalized_shape),
    run: (m, { input }) => output(m.call(input!)),
  },
  batch_norm1d_train: {
    build: (c) => {
      const m = new nn.BatchNorm1d(c.num_features);
      return c.training ? m.train() : m.eval();
    },
    run: (m, { input }) => {
      const out = m.call(input!) as Tensor;
      return { output: out, running_mean: torch.clone(m.getBuffer('running_mean')!), running_var: torch.clone(m.getBuffer('running_var')!) };
    },
  },
  max_pool2d: {
    build: (c) => new nn.MaxPool2d(c.kernel_size),
    run: (m, { input }) => output(m.call(input!)),
  },
};
