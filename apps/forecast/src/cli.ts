#!/usr/bin/env node
/**
 * torchlet-forecast: train a GRU/LSTM forecaster on a series and score it against the naive
 * and seasonal-naive forecasts; forecast the next steps with a saved model.
 *
 *   torchlet-forecast train --example air-passengers --plot forecast.svg --output air.safetensors
 *   torchlet-forecast train --csv sales.csv --column units --time-column month --season 12
 *   torchlet-forecast forecast air.safetensors --example air-passengers
 */
import { writeFile } from 'node:fs/promises';
import { TRAINING_OPTIONS, UsageError, choice, int, isMain, openDevice, progressBar, real, runCli, withoutPositionals, type FlagsOf } from '@torchlet/app-cli';
import * as torch from 'torchlet';
import {
  Forecaster,
  fitScaling,
  naiveForecast,
  predictFrom,
  score,
  seasonalNaiveForecast,
  testOrigins,
  toModelSpace,
  train,
  type Cell,
  type ModelConfig,
  type Split,
  type Transform,
} from './forecast.js';
import { ModelFileError, loadModel, saveModel } from './model-file.js';
import { forecastSvg, terminalChart } from './plot.js';
import { EXAMPLE_NAMES, InputError, loadCsvSeries, loadExample, type Series } from './series.js';

const USAGE = `usage: torchlet-forecast <command> [options]

commands:
  train      train and evaluate:  train (--example NAME | --csv FILE --column NAME [--time-column NAME]) [options]
  forecast   the next steps:      forecast MODEL (--example NAME | --csv FILE --column NAME)

data:     --example ${EXAMPLE_NAMES.join('|')}   --csv FILE --column NAME [--time-column NAME]
          --season N (seasonal-naive baseline; 12 for the monthly example)
          --test N  --val N   steps held out at the end for testing and, before them, validation
          --transform log|none  (log by default when every value is positive)
model:    --cell gru|lstm (gru)  --hidden 32  --layers 1  --dropout 0  --window N  --horizon H
training: --epochs 300  --lr 0.01  --batch 16  --seed 0  --device cpu|webgpu
output:   --output MODEL.safetensors  --plot FILE.svg  --no-chart  --progress|--no-progress  --verbose`;

const OPTIONS = {
  ...TRAINING_OPTIONS,
  example: { type: 'string' },
  csv: { type: 'string' },
  column: { type: 'string' },
  'time-column': { type: 'string' },
  season: { type: 'string' },
  test: { type: 'string' },
  val: { type: 'string' },
  transform: { type: 'string' },
  cell: { type: 'string' },
  hidden: { type: 'string' },
  layers: { type: 'string' },
  dropout: { type: 'string' },
  window: { type: 'string' },
  horizon: { type: 'string' },
  epochs: { type: 'string' },
  plot: { type: 'string' },
  'no-chart': { type: 'boolean' },
} as const;


type Values = FlagsOf<typeof OPTIONS>;




async function readSeries(v: Values): Promise<Series> {
  if (v.example !== undefined && v.csv !== undefined) throw new UsageError('give --example or --csv, not both');
  if (v.csv !== undefined) {
    if (v.column === undefined) throw new UsageError('--csv needs --column NAME (the column to forecast)');
    return loadCsvSeries(v.csv, v.column, v['time-column']);
  }
  if (v.column !== undefined || v['time-column'] !== undefined) throw new UsageError('--column and --time-column go with --csv');
  if (v.example === undefined) throw new UsageError(`no data: give --example ${EXAMPLE_NAMES.join('|')} or --csv FILE --column NAME`);
  return loadExample(v.example);
}


interface Setup {
  series: Series;
  split: Split;
  config: ModelConfig;
  season: number | undefined;
  transform: Transform;
}

function setup(v: Values, series: Series): Setup {
  const T = series.values.length;
  const season = v.season === undefined ? series.season : int(v, 'season', 1, 2);
  const test = int(v, 'test', season ? 2 * season : Math.max(1, Math.round(T * 0.2)));
  const val = int(v, 'val', season ?? Math.max(1, Math.round(T * 0.1)));
  const config: ModelConfig = {
    cell: choice<Cell>(v, 'cell', ['gru', 'lstm'], 'gru'),
    hidden: int(v, 'hidden', 32),
    layers: int(v, 'layers', 1),
    dropout: real(v, 'dropout', 0, (x) => x >= 0 && x < 1, 'a number in [0, 1)'),
    window: int(v, 'window', season ? 2 * season : 12),
    horizon: int(v, 'horizon', season ?? 1),
  };
  if (config.horizon > test) throw new UsageError(`--horizon ${config.horizon} is longer than the test part (--test ${test})`);
  const trainEnd = T - test - val;
  if (trainEnd < config.window + config.horizon + 1) {
    throw new UsageError(`the series has ${T} steps: too short for --test ${test}, --val ${val}, --window ${config.window} and --horizon ${config.horizon}`);
  }
  const positive = series.values.every((x) => x > 0);
  const transform = choice<Transform>(v, 'transform', ['log', 'none'], positive ? 'log' : 'none');
  if (transform === 'log' && !positive) throw new UsageError('--transform log needs every value to be positive; use --transform none');
  return { series, split: { trainEnd, valEnd: T - test, length: T }, config, season, transform };
}

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));

async function trainCommand(v: Values, out: (line: string) => void): Promise<void> {
  const series = await readSeries(v);
  const s = setup(v, series);
  const device = choice(v, 'device', ['cpu', 'webgpu'] as const, 'cpu');
  const epochs = int(v, 'epochs', 300);
  const lr = real(v, 'lr', 0.01, (x) => x > 0, 'a positive number');
  const batch = int(v, 'batch', 16);
  const seed = int(v, 'seed', 0, 0);
  await openDevice(device);

  const { values } = series;
  const { split, config } = s;
  const scaling = fitScaling(values.slice(0, split.trainEnd), s.transform);
  const z = toModelSpace(values, scaling);
  out(
    `${series.name}: ${values.length} steps; train ${split.trainEnd}, validation ${split.valEnd - split.trainEnd}, test ${split.length - split.valEnd}; ` +
      `${config.cell.toUpperCase()} ${config.layers}×${config.hidden}, window ${config.window}, horizon ${config.horizon}, ${s.transform} scale; device ${device}`,
  );
  torch.manualSeed(seed);
  const model = new Forecaster(config).to(device);
  if (v.verbose) out(`memory at start: ${JSON.stringify(torch.memoryStats())}`);
  const bar = progressBar(v, { total: epochs, label: 'training', unit: 'epoch' });
  const started = performance.now();
  const result = await train(model, z, split, config, {
    epochs,
    lr,
    batch,
    seed,
    device,
    onEpoch: (e) => bar.update(1, { loss: e.train, val: e.val.toExponential(2) }),
  });
  bar.close();
  const seconds = (performance.now() - started) / 1000;
  if (v.verbose) out(`memory at end: ${JSON.stringify(torch.memoryStats())}`);
  const last = result.history[result.history.length - 1]!;
  out(`trained ${epochs} epochs in ${seconds.toFixed(1)} s; kept epoch ${result.bestEpoch} (validation MSE ${result.history[result.bestEpoch - 1]!.val.toExponential(3)}; last ${last.val.toExponential(3)})`);

  const origins = testOrigins(split, config.horizon);
  const forecasts = await predictFrom(model, z, origins, config, scaling, device);
  const m = score(values, origins, forecasts);
  const n = score(values, origins, naiveForecast(values, origins, config.horizon));
  const seasonal = s.season ? score(values, origins, seasonalNaiveForecast(values, origins, config.horizon, s.season)) : null;
  const tail = (k: keyof typeof m) => `naive ${fmt(n[k])}${seasonal ? ` seasonal-naive ${fmt(seasonal[k])}` : ''}`;
  out(`test RMSE ${fmt(m.rmse)} ${tail('rmse')}`);
  out(`test MAE ${fmt(m.mae)} ${tail('mae')}`);
  out(`(${origins.length} forecast origins × ${config.horizon} steps, original units)`);

  // The test part as successive horizon-long forecasts, each made from the actual history.
  const blocks = origins.filter((o) => (o - split.valEnd) % config.horizon === 0);
  const path = (fc: number[][]) => blocks.flatMap((o, k) => fc[k]!.map((y, h) => [o + h, y] as [number, number]));
  const modelPath = path(await predictFrom(model, z, blocks, config, scaling, device));
  if (!v['no-chart']) {
    out(terminalChart(modelPath.map(([i]) => values[i]!), modelPath.map(([, y]) => y), { color: Boolean(process.stdout.isTTY) }));
  }
  if (v.plot !== undefined) {
    const forecastsToDraw = [{ name: `${config.cell.toUpperCase()} forecast`, points: modelPath }];
    if (s.season) forecastsToDraw.push({ name: 'seasonal naive', points: path(seasonalNaiveForecast(values, blocks, config.horizon, s.season)) });
    const svg = await forecastSvg({ title: `${series.name}: ${config.horizon}-step forecasts`, times: series.times, values, testStart: split.valEnd, forecasts: forecastsToDraw, history: result.history });
    await writeFile(v.plot, svg);
    out(`plot written to ${v.plot}`);
  }
  if (v.output !== undefined) {
    await saveModel(v.output, model, { config, scaling, ...(s.season ? { season: s.season } : {}), series: series.name });
    out(`model saved to ${v.output}`);
  }
  model.dispose();
}

async function forecastCommand(v: Values, positional: string[], out: (line: string) => void): Promise<void> {
  if (positional.length !== 1) throw new UsageError('forecast takes one model file: forecast MODEL (--example NAME | --csv FILE --column NAME)');
  const { model, meta } = await loadModel(positional[0]!);
  try {
    const series = await readSeries(v);
    const { values, times } = series;
    if (values.length < meta.config.window) throw new InputError(`the series has ${values.length} steps; the model reads ${meta.config.window} (its window)`);
    if (meta.scaling.transform === 'log' && values.some((x) => x <= 0)) throw new InputError('the model was trained on log values: every value must be positive');
    const z = toModelSpace(values, meta.scaling);
    const [next] = await predictFrom(model, z, [values.length], meta.config, meta.scaling, 'cpu');
    out(`next ${meta.config.horizon} steps after ${times[times.length - 1]} (${series.name}):`);
    next!.forEach((y, h) => out(`+${h + 1}\t${fmt(y)}`));
  } finally {
    model.dispose();
  }
}

/** Runs the CLI; returns the exit code (0 done, 1 a failure, 2 a usage error). */
export function main(argv: readonly string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  return runCli<Values>(
    {
      name: 'torchlet-forecast',
      usage: USAGE,
      options: OPTIONS,
      commands: {
        train: withoutPositionals('train', (v) => trainCommand(v, out)),
        forecast: (v, positionals) => forecastCommand(v, positionals, out),
      },
      expected: [InputError, ModelFileError],
    },
    argv,
    out,
    err,
  );
}

if (isMain(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
