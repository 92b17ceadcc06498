/**
 * A trained forecaster in one file: a safetensors state dict under PyTorch's keys
 * (`rnn.weight_ih_l0`, `head.weight`, …) whose `__metadata__` holds the configuration and the
 * scaling as JSON. One file, written atomically, so a crash leaves the old model or the new one.
 */
import * as torch from 'torchlet';
import { Forecaster, type ModelConfig, type Scaling } from './forecast.js';

export const FORMAT = 'torchlet-forecast/1';

export interface ModelMeta {
  format: typeof FORMAT;
  config: ModelConfig;
  scaling: Scaling;
  season?: number;
  /** Where the series came from (for messages). */
  series: string;
}

export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

export async function saveModel(path: string, model: Forecaster, meta: Omit<ModelMeta, 'format'>): Promise<void> {
  const full: ModelMeta = { format: FORMAT, ...meta };
  await torch.io.saveSafetensors(model.stateDict(), path, { 'torchlet-forecast': JSON.stringify(full) });
}

function check(path: string, ok: boolean, what: string): asserts ok {
  if (!ok) throw new ModelFileError(`${path}: ${what}`);
}

/** Loads and validates a model file; the model is on the CPU. */
export async function loadModel(path: string): Promise<{ model: Forecaster; meta: ModelMeta }> {
  let contents: torch.io.SafetensorsContents;
  try {
    contents = await torch.io.loadSafetensors(path);
  } catch (e) {
    throw new ModelFileError(`${path}: not a readable model file (${(e as Error).message})`);
  }
  const disposeAll = () => Object.values(contents.tensors).forEach((t) => t.dispose());
  try {
    const raw = contents.metadata['torchlet-forecast'];
    check(path, raw !== undefined, 'no torchlet-forecast metadata (not a model written by torchlet-forecast train)');
    let meta: ModelMeta;
    try {
      meta = JSON.parse(raw) as ModelMeta;
    } catch {
      throw new ModelFileError(`${path}: the torchlet-forecast metadata is not valid JSON`);
    }
    check(path, meta.format === FORMAT, `format '${String(meta.format)}' is not ${FORMAT}`);
    const c = meta.config;
    check(path, typeof c === 'object' && c !== null && (c.cell === 'gru' || c.cell === 'lstm'), "config.cell must be 'gru' or 'lstm'");
    for (const k of ['hidden', 'layers', 'window', 'horizon'] as const) check(path, Number.isInteger(c[k]) && c[k] > 0, `config.${k} must be a positive integer`);
    check(path, typeof c.dropout === 'number' && c.dropout >= 0 && c.dropout < 1, 'config.dropout must be in [0, 1)');
    const s = meta.scaling;
    check(path, typeof s === 'object' && s !== null && (s.transform === 'log' || s.transform === 'none'), "scaling.transform must be 'log' or 'none'");
    check(path, Number.isFinite(s.mean) && Number.isFinite(s.scale) && s.scale > 0, 'scaling.mean and scaling.scale must be finite numbers, scale > 0');
    const model = new Forecaster(c);
    try {
      model.loadStateDict(contents.tensors, { strict: true });
    } catch (e) {
      model.dispose();
      throw new ModelFileError(`${path}: the weights do not fit the configuration (${(e as Error).message})`);
    }
    return { model, meta };
  } finally {
    disposeAll();
  }
}
