/**
 * Training a character model with truncated backpropagation through time: the training ids are
 * cut into `batch` parallel streams; each step reads the next `bptt` characters of every stream,
 * predicts each next character, and carries the hidden state (detached) into the next step.
 * Adam, gradient-norm clipping and a cosine learning-rate schedule over `steps`.
 *
 * Everything that decides the next step — weights, optimizer and scheduler state, the random
 * stream (dropout), the stream position and the carried state — is in `Trainer.state()`, so a
 * run resumed from a checkpoint continues bit for bit as if it had never stopped.
 */
import * as torch from 'torchlet';
import { CharRNN, detachHidden, disposeHidden, hiddenTensors, type Hidden, type ModelConfig } from './model.js';

type Tensor = torch.Tensor;
const { nn } = torch;

export interface TrainConfig {
  bptt: number;
  batch: number;
  lr: number;
  clip: number;
  steps: number;
  seed: number;
}

/** What a checkpoint holds (see `io.save`). */
export interface TrainerState {
  format: 'torchlet-char-rnn-checkpoint/1';
  model: ModelConfig;
  train: TrainConfig;
  chars: string[];
  weights: Record<string, Tensor>;
  optimizer: unknown;
  scheduler: unknown;
  rng: torch.GeneratorState;
  step: number;
  position: number;
  hidden: Tensor[];
}

export class Trainer {
  readonly model: CharRNN;
  readonly #opt: torch.optim.Adam;
  readonly #sched: torch.optim.CosineAnnealingLR;
  /** `[batch, streamLength]` ids on the device. */
  readonly #data: Tensor;
  #hidden: Hidden | null = null;
  /** Next read position in the streams. */
  position = 0;
  step = 0;

  constructor(
    readonly modelConfig: ModelConfig,
    readonly config: TrainConfig,
    trainIds: Int32Array,
    readonly device: torch.DeviceName,
  ) {
    const perStream = Math.floor(trainIds.length / config.batch);
    if (perStream < config.bptt + 1) {
      throw new RangeError(`the training text (${trainIds.length} characters) is too short for --batch ${config.batch} streams of --bptt ${config.bptt} + 1`);
    }
    torch.manualSeed(config.seed);
    this.model = new CharRNN(modelConfig).to(device);
    this.#opt = new torch.optim.Adam(this.model.parameters(), { lr: config.lr });
    this.#sched = new torch.optim.CosineAnnealingLR(this.#opt, config.steps);
    this.#data = torch.tensor(trainIds.slice(0, perStream * config.batch), { dtype: 'int32', device, shape: [config.batch, perStream] });
  }

  get lr(): number {
    return this.#sched.getLastLr()[0]!;
  }

  /** One update; returns the batch's mean loss in nats (read asynchronously: WebGPU). */
  async trainStep(): Promise<number> {
    const { bptt } = this.config;
    const streamLength = this.#data.shape[1]!;
    if (this.position + bptt + 1 > streamLength) {
      this.position = 0; // a new pass over the text starts from a fresh state
      disposeHidden(this.#hidden);
      this.#hidden = null;
    }
    this.model.train();
    const p = this.position;
    const [loss, hidden] = torch.tidy(() => {
      const x = torch.narrow(this.#data, 1, p, bptt);
      const y = torch.narrow(this.#data, 1, p + 1, bptt);
      this.#opt.zeroGrad();
      const [logits, h] = this.model.call(x, this.#hidden);
      const l = nn.functional.crossEntropy(logits.reshape([-1, this.modelConfig.vocab]), y.reshape([-1]));
      l.backward();
      nn.utils.clipGradNorm_(this.model.parameters(), this.config.clip);
      this.#opt.step();
      this.#sched.step();
      return [l.detach(), detachHidden(h)] as const;
    });
    disposeHidden(this.#hidden);
    this.#hidden = hidden;
    this.position += bptt;
    this.step++;
    try {
      const value = await loss.itemAsync();
      if (!Number.isFinite(value)) throw new RangeError(`the training loss became ${value} at step ${this.step}: try a lower --lr (now ${this.config.lr}) or --clip`);
      return value;
    } finally {
      loss.dispose();
    }
  }

  state(chars: readonly string[]): TrainerState {
    return {
      format: 'torchlet-char-rnn-checkpoint/1',
      model: this.modelConfig,
      train: this.config,
      chars: [...chars],
      weights: this.model.stateDict(),
      optimizer: this.#opt.stateDict(),
      scheduler: this.#sched.stateDict(),
      rng: torch.getRngState(),
      step: this.step,
      position: this.position,
      hidden: hiddenTensors(this.#hidden),
    };
  }

  /** Restores a checkpoint's state (its configuration must match this trainer's). */
  restore(s: TrainerState): void {
    this.model.loadStateDict(s.weights, { strict: true });
    this.#opt.loadStateDict(s.optimizer as Parameters<torch.optim.Adam['loadStateDict']>[0]);
    this.#sched.loadStateDict(s.scheduler as Parameters<torch.optim.CosineAnnealingLR['loadStateDict']>[0]);
    torch.setRngState(s.rng);
    this.step = s.step;
    this.position = s.position;
    disposeHidden(this.#hidden);
    const h = s.hidden.map((t) => t.to(this.device));
    this.#hidden = h.length === 0 ? null : h.length === 1 ? h[0]! : [h[0]!, h[1]!];
  }

  dispose(): void {
    disposeHidden(this.#hidden);
    this.#data.dispose();
    this.model.dispose();
  }
}

/** Bits per character of `ids` (streams of `batch`, read `bptt` at a time with the state carried). */
export async function bitsPerChar(model: CharRNN, ids: Int32Array, options: { batch: number; bptt: number; device: torch.DeviceName }): Promise<number> {
  const perStream = Math.floor(ids.length / options.batch);
  if (perStream < 2) throw new RangeError(`the validation text (${ids.length} characters) is too short for ${options.batch} streams`);
  model.eval();
  const data = torch.tensor(ids.slice(0, perStream * options.batch), { dtype: 'int32', device: options.device, shape: [options.batch, perStream] });
  let hidden: Hidden | null = null;
  let total = torch.zeros([], { device: options.device });
  let count = 0;
  try {
    for (let p = 0; p + 1 < perStream; p += options.bptt) {
      const len = Math.min(options.bptt, perStream - 1 - p);
      const [sum, h] = torch.noGrad(() =>
        torch.tidy(() => {
          const [logits, h] = model.call(torch.narrow(data, 1, p, len), hidden);
          const l = nn.functional.crossEntropy(logits.reshape([-1, model.config.vocab]), torch.narrow(data, 1, p + 1, len).reshape([-1]), { reduction: 'sum' });
          return [torch.add(total, l), h] as const;
        }),
      );
      disposeHidden(hidden);
      hidden = h;
      total.dispose();
      total = sum;
      count += len * options.batch;
    }
    return (await total.itemAsync()) / count / Math.LN2;
  } finally {
    disposeHidden(hidden);
    total.dispose();
    data.dispose();
  }
}

/**
 * `length` characters after `prime`: the prime is read through the model, then each next
 * character is drawn from softmax(logits / temperature) with `generator` (its own stream, so
 * sampling never changes the training run).
 */
export async function sample(
  model: CharRNN,
  encode: (s: string) => Int32Array,
  decode: (ids: number[]) => string,
  options: { prime: string; length: number; temperature: number; generator: torch.Generator; device: torch.DeviceName },
): Promise<string> {
  model.eval();
  const primeIds = encode(options.prime.length ? options.prime : '\n');
  let hidden: Hidden | null = null;
  let input = torch.tensor(primeIds, { dtype: 'int32', device: options.device, shape: [1, primeIds.length] });
  const out: number[] = [];
  try {
    for (let i = 0; i < options.length; i++) {
      const [probs, h] = torch.noGrad(() =>
        torch.tidy(() => {
          const [logits, h] = model.call(input, hidden);
          const last = torch.select(torch.select(logits, 0, 0), 0, -1);
          return [torch.softmax(torch.div(last, options.temperature), 0), h] as const;
        }),
      );
      disposeHidden(hidden);
      hidden = h;
      // the draw happens on the CPU with the sampler's own generator, whatever the device
      const cpu = torch.tensor((await probs.data()) as Float32Array);
      probs.dispose();
      const drawn = torch.multinomial(cpu, 1, { generator: options.generator });
      const id = drawn.item();
      drawn.dispose();
      cpu.dispose();
      out.push(id);
      input.dispose();
      input = torch.tensor(Int32Array.of(id), { dtype: 'int32', device: options.device, shape: [1, 1] });
    }
  } finally {
    disposeHidden(hidden);
    input.dispose();
  }
  return decode(out);
}
