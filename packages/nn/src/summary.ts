/**
 * `module.summary(inputShape)`: a torchinfo-style table of layers, output shapes, parameter
 * counts and trainability, with totals.
 */
import { noGrad } from '@torchlet/autograd';
import { Tensor, ValueError, zeros, type DType, type DeviceName } from '@torchlet/tensor';
import type { Module } from './module.js';

/** One input shape, several shapes (one per forward argument), or the input tensors themselves. */
export type SummaryInput = readonly number[] | readonly (readonly number[])[] | Tensor | readonly Tensor[];

/** Options of `module.summary()`. */
export interface SummaryOptions {
  /** One dtype per input made from a shape (default float32; use 'int32' for Embedding inputs). */
  dtypes?: readonly DType[];
  /** Device of the inputs made from shapes (default `'cpu'`). */
  device?: DeviceName;
  /** Deepest nesting level shown (default 3, as torchinfo). */
  depth?: number;
}

const WIDTH = [40, 25, 15, 10];
const RULE = '='.repeat(WIDTH.reduce((a, b) => a + b, 0));

function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

function shapeOf(out: unknown): string {
  if (out instanceof Tensor) return `[${out.shape.join(', ')}]`;
  if (Array.isArray(out)) {
    const parts = out.map(shapeOf).filter((s) => s !== '--');
    return parts.length ? parts.join(', ') : '--';
  }
  if (out && typeof out === 'object') {
    const parts = Object.values(out).map(shapeOf).filter((s) => s !== '--');
    return parts.length ? parts.join(', ') : '--';
  }
  return '--';
}

function row(cells: string[]): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(WIDTH[i]!))).join('').trimEnd();
}

function makeInputs(input: SummaryInput, options: SummaryOptions): { args: Tensor[]; made: Tensor[] } {
  if (input instanceof Tensor) return { args: [input], made: [] };
  if (!Array.isArray(input)) throw new ValueError('summary: expected an input shape, a list of shapes, or input tensors');
  if (input.length > 0 && input.every((x) => x instanceof Tensor)) return { args: [...(input as Tensor[])], made: [] };
  const shapes: (readonly number[])[] = input.length > 0 && Array.isArray(input[0]) ? (input as (readonly number[])[]) : [input as readonly number[]];
  const made = shapes.map((s, i) => {
    if (!Array.isArray(s) || s.some((n) => !Number.isInteger(n) || n < 0)) throw new ValueError(`summary: bad input shape ${JSON.stringify(s)}`);
    return zeros(s, { dtype: options.dtypes?.[i] ?? 'float32', device: options.device });
  });
  return { args: made, made };
}

function disposeOutput(out: unknown, keep: Set<Tensor>): void {
  if (out instanceof Tensor) {
    if (!keep.has(out)) out.dispose();
  } else if (Array.isArray(out)) for (const o of out) disposeOutput(o, keep);
  else if (out && typeof out === 'object') for (const o of Object.values(out)) disposeOutput(o, keep);
}

export function summary(model: Module, input: SummaryInput, options: SummaryOptions = {}): string {
  const maxDepth = options.depth ?? 3;
  const shapes = new Map<Module, string>();
  const tree: { module: Module; depth: number; index: number }[] = [];
  const walk = (m: Module, depth: number, index: number): void => {
    tree.push({ module: m, depth, index });
    m.children().forEach((c, i) => walk(c, depth + 1, i + 1));
  };
  walk(model, 0, 0);
  const handles = tree.map(({ module }) => module.registerForwardHook((m, _a, out) => void shapes.set(m, shapeOf(out))));
  const wasTraining = model.modules().map((m) => [m, m.training] as const);
  const { args, made } = makeInputs(input, options);
  try {
    model.eval();
    const out = noGrad(() => model.call(...(args as never[])));
    disposeOutput(out, new Set(args));
  } finally {
    for (const h of handles) h.remove();
    for (const [m, t] of wasTraining) m.training = t;
    for (const t of made) t.dispose();
  }

  const lines = [RULE, row(['Layer (type:depth-idx)', 'Output Shape', 'Param #', 'Trainable']), RULE];
  const seen = new Set<Tensor>();
  for (const { module, depth, index } of tree) {
    if (depth > maxDepth) continue;
    const own = module.parameters({ recurse: false });
    const all = module.parameters();
    const hasChildren = module.children().length > 0;
    let count = 0;
    for (const p of own) {
      if (!seen.has(p)) count += p.numel();
      seen.add(p);
    }
    // A leaf (or a module at the depth limit) shows everything below it.
    const showAll = !hasChildren || depth === maxDepth;
    if (showAll) for (const p of all) if (!own.includes(p)) count += p.numel();
    const params = all.length === 0 ? '--' : own.length === 0 && !showAll ? '--' : fmtCount(count);
    const trainable = all.length === 0 ? '--' : all.every((p) => p.requiresGrad) ? 'True' : all.some((p) => p.requiresGrad) ? 'Partial' : 'False';
    const prefix = depth === 0 ? '' : `${'│    '.repeat(depth - 1)}└─`;
    const name = depth === 0 ? module._getName() : `${prefix}${module._getName()}: ${depth}-${index}`;
    lines.push(row([name, shapes.get(module) ?? '--', params, trainable]));
  }
  const total = model.numParameters();
  const trainableCount = model.numParameters({ trainableOnly: true });
  lines.push(RULE, `Total params: ${fmtCount(total)}`, `Trainable params: ${fmtCount(trainableCount)}`, `Non-trainable params: ${fmtCount(total - trainableCount)}`, RULE);
  return lines.join('\n');
}
