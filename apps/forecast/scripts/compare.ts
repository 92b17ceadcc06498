/**
 * Torchlet against PyTorch on the built-in AirPassengers example: the same model, initial
 * weights, windows and batch order (PyTorch replays Torchlet's shuffles), then the same test
 * scores and the training wall time of each. Needs `python3 -c 'import torch'` (Debian:
 * apt-get install python3-torch).
 *
 *   pnpm --filter @torchlet/app-forecast compare [--seeds 3] [--epochs 300]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as torch from 'torchlet';
import { Forecaster, fitScaling, predictFrom, score, testOrigins, toModelSpace, train, type Cell, type ModelConfig } from '../src/forecast.js';
import { loadExample } from '../src/series.js';

const { values: args } = parseArgs({ options: { seeds: { type: 'string', default: '3' }, epochs: { type: 'string', default: '300' } } });
const seeds = Number(args.seeds);
const epochs = Number(args.epochs);
const python = process.env.PYTHON ?? '/usr/bin/python3';
const script = fileURLToPath(new URL('compare.py', import.meta.url));

const series = await loadExample('air-passengers');
const { values } = series;
const split = { trainEnd: values.length - 36, valEnd: values.length - 24, length: values.length };
const scaling = fitScaling(values.slice(0, split.trainEnd), 'log');
const z = toModelSpace(values, scaling);
const hyper = { lr: 0.01, batch: 16 };
console.log(`AirPassengers: train ${split.trainEnd}, validation 12, test 24 steps; ${epochs} epochs, Adam lr ${hyper.lr}, batch ${hyper.batch}; Node ${process.version}, ${torch.getNumThreads()} threads`);
console.log('cell  seed | Torchlet RMSE   MAE  time (s) | PyTorch RMSE   MAE  time (s)');
for (const cell of ['gru', 'lstm'] as Cell[]) {
  const config: ModelConfig = { cell, hidden: 32, layers: 1, dropout: 0, window: 24, horizon: 12 };
  for (let seed = 0; seed < seeds; seed++) {
    const dir = mkdtempSync(join(tmpdir(), 'forecast-compare-'));
    try {
      torch.manualSeed(seed);
      const model = new Forecaster(config);
      await torch.io.saveSafetensors(model.stateDict(), join(dir, 'init.safetensors'));
      const t0 = performance.now();
      const result = await train(model, z, split, config, { epochs, ...hyper, seed, device: 'cpu' });
      const seconds = (performance.now() - t0) / 1000;
      const origins = testOrigins(split, config.horizon);
      const ours = score(values, origins, await predictFrom(model, z, origins, config, scaling, 'cpu'));
      model.dispose();
      writeFileSync(join(dir, 'job.json'), JSON.stringify({ config, z, split, values, scaling, seed, ...hyper, orders: result.orders, threads: torch.getNumThreads() }));
      const theirs = JSON.parse(execFileSync(python, [script, dir], { encoding: 'utf8' })) as { rmse: number; mae: number; seconds: number };
      const f = (x: number, w = 6) => x.toFixed(2).padStart(w);
      console.log(`${cell.padEnd(5)} ${String(seed).padStart(4)} | ${f(ours.rmse, 13)} ${f(ours.mae)} ${f(seconds, 9)} | ${f(theirs.rmse, 12)} ${f(theirs.mae)} ${f(theirs.seconds, 9)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
