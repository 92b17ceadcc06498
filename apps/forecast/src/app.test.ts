import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from 'torchlet';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from './cli.js';
import { Forecaster, fitScaling, predictFrom, score, seasonalNaiveForecast, testOrigins, toModelSpace, train, windowsEndingIn } from './forecast.js';
import { loadModel } from './model-file.js';
import { loadExample } from './series.js';

const dir = mkdtempSync(join(tmpdir(), 'forecast-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

describe('baselines and windows', () => {
  test('seasonal naive repeats the last observed season; windows end in their part', () => {
    const v = Array.from({ length: 30 }, (_, i) => i);
    // origin 24, season 12: steps 24..35 come from 12..23
    expect(seasonalNaiveForecast(v, [24], 14, 12)[0]).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 12, 13]);
    expect(windowsEndingIn(0, 10, 4, 2)).toEqual([0, 1, 2, 3, 4]);
    expect(windowsEndingIn(10, 12, 4, 2)).toEqual([5, 6]);
    expect(score([1, 2, 3, 4], [2], [[5, 4]])).toEqual({ rmse: Math.sqrt((4 + 0) / 2), mae: 1 });
  });
});

describe('torchlet-forecast train / forecast on AirPassengers', () => {
  const model = join(dir, 'air.safetensors');
  const svg = join(dir, 'air.svg');

  test('trains, beats both baselines, writes the plot and the model', async () => {
    const r = await run('train', '--example', 'air-passengers', '--epochs', '60', '--output', model, '--plot', svg, '--no-progress');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const line = r.out.find((l) => l.startsWith('test RMSE '))!;
    const [, m, n, s] = /^test RMSE ([\d.]+) naive ([\d.]+) seasonal-naive ([\d.]+)$/.exec(line)!.map(Number);
    expect(m).toBeLessThan(s!);
    expect(s).toBeLessThan(n!);
    expect(r.out.some((l) => l.startsWith('test MAE '))).toBe(true);
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    for (const label of ['history', 'test actuals', 'GRU forecast', 'seasonal naive', 'training', 'validation', '1960-01']) expect(text).toContain(label);
  });

  test('the saved model reloads to the same forecasts', async () => {
    const { model: m, meta } = await loadModel(model);
    const series = await loadExample('air-passengers');
    const z = toModelSpace(series.values, meta.scaling);
    const origins = [120, 130];
    const a = await predictFrom(m, z, origins, meta.config, meta.scaling, 'cpu');
    m.dispose();
    const again = await loadModel(model);
    expect(await predictFrom(again.model, z, origins, meta.config, meta.scaling, 'cpu')).toEqual(a);
    again.model.dispose();
    const r = await run('forecast', model, '--example', 'air-passengers');
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('next 12 steps after 1960-12 (AirPassengers (thousands, monthly 1949–1960)):');
    expect(r.out.slice(1).map((l) => l.split('\t')[0])).toEqual(Array.from({ length: 12 }, (_, h) => `+${h + 1}`));
  });

  test('the same seed trains to the same numbers; memory is flat across training', async () => {
    const series = await loadExample('air-passengers');
    const split = { trainEnd: 108, valEnd: 120, length: 144 };
    const scaling = fitScaling(series.values.slice(0, 108), 'log');
    const z = toModelSpace(series.values, scaling);
    const config = { cell: 'lstm' as const, hidden: 8, layers: 2, dropout: 0.1, window: 24, horizon: 12 };
    const once = async (epochs: number) => {
      torch.manualSeed(5);
      const m = new Forecaster(config);
      const before = torch.memoryStats().liveTensors;
      await train(m, z, split, config, { epochs, lr: 0.01, batch: 16, seed: 5, device: 'cpu' });
      const grown = torch.memoryStats().liveTensors - before;
      const f = await predictFrom(m, z, testOrigins(split, 12), config, scaling, 'cpu');
      m.dispose();
      return { f, grown };
    };
    const a = await once(3);
    const b = await once(3);
    expect(b.f).toEqual(a.f);
    // Adam's state (step, exp_avg, exp_avg_sq per parameter) is all that training adds
    expect((await once(6)).grown).toBe(a.grown);
  });
});

describe('bad input is refused with one line naming the flag or file', () => {
  test.each([
    [['train'], 2, 'no data: give --example air-passengers or --csv FILE --column NAME'],
    [['train', '--example', 'sunspots'], 1, "--example: unknown example 'sunspots' (known: air-passengers)"],
    [['train', '--example', 'air-passengers', '--cell', 'rnn'], 2, "--cell: expected gru or lstm, got 'rnn'"],
    [['train', '--example', 'air-passengers', '--epochs', 'ten'], 2, "--epochs: expected a whole number ≥ 1, got 'ten'"],
    [['train', '--example', 'air-passengers', '--lr', '0'], 2, "--lr: expected a positive number, got '0'"],
    [['train', '--example', 'air-passengers', '--horizon', '30'], 2, '--horizon 30 is longer than the test part (--test 24)'],
    [['train', '--example', 'air-passengers', '--window', '120'], 2, 'the series has 144 steps: too short for --test 24, --val 12, --window 120 and --horizon 12'],
    [['train', '--example', 'air-passengers', '--frobnicate'], 2, "Unknown option '--frobnicate'"],
    [['train', '--csv', 'nope.csv'], 2, '--csv needs --column NAME (the column to forecast)'],
    [['train', '--csv', '/nonexistent/x.csv', '--column', 'v'], 1, '--csv: cannot read /nonexistent/x.csv (ENOENT)'],
    [['forecast', '/nonexistent/m.safetensors', '--example', 'air-passengers'], 1, '/nonexistent/m.safetensors: not a readable model file'],
    [['fly'], 2, "unknown command 'fly' (train, forecast)"],
  ])('%j → exit %i', async (argv, code, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(code);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(message);
    expect(r.err[0]).not.toMatch(/\n|\bat /);
  });

  test('a CSV column with a non-number names the line; a non-positive series refuses --transform log', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'month,units\n1,5\n2,x\n');
    expect((await run('train', '--csv', csv, '--column', 'units')).err[0]).toContain(`--column: ${csv} line 3: 'x' in column 'units' is not a finite number`);
    writeFileSync(csv, 'units\n' + Array.from({ length: 80 }, (_, i) => Math.sin(i)).join('\n') + '\n');
    const r = await run('train', '--csv', csv, '--column', 'units', '--transform', 'log');
    expect(r.err[0]).toContain('--transform log needs every value to be positive; use --transform none');
  });

  test('a model file with edited metadata is refused naming the field', async () => {
    const m = new Forecaster({ cell: 'gru', hidden: 4, layers: 1, dropout: 0, window: 3, horizon: 2 });
    const meta = { format: 'torchlet-forecast/1', config: { cell: 'gru', hidden: 4, layers: 1, dropout: 0, window: 3, horizon: 0 }, scaling: { transform: 'none', mean: 0, scale: 1 }, series: 'x' };
    const path = join(dir, 'edited.safetensors');
    await torch.io.saveSafetensors(m.stateDict(), path, { 'torchlet-forecast': JSON.stringify(meta) });
    m.dispose();
    await expect(loadModel(path)).rejects.toThrow(`${path}: config.horizon must be a positive integer`);
  });
});

// The same model, initial weights and batch order in real PyTorch give the same test scores.
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
describe.runIf(hasTorch)('parity with PyTorch (scripts/compare.py)', () => {
  test('5 epochs of GRU training: the same RMSE and MAE', async () => {
    const series = await loadExample('air-passengers');
    const split = { trainEnd: 108, valEnd: 120, length: 144 };
    const scaling = fitScaling(series.values.slice(0, 108), 'log');
    const z = toModelSpace(series.values, scaling);
    const config = { cell: 'gru' as const, hidden: 16, layers: 1, dropout: 0, window: 24, horizon: 12 };
    torch.manualSeed(1);
    const m = new Forecaster(config);
    const job = mkdtempSync(join(dir, 'job-'));
    await torch.io.saveSafetensors(m.stateDict(), join(job, 'init.safetensors'));
    const { orders } = await train(m, z, split, config, { epochs: 5, lr: 0.01, batch: 16, seed: 1, device: 'cpu' });
    const origins = testOrigins(split, 12);
    const ours = score(series.values, origins, await predictFrom(m, z, origins, config, scaling, 'cpu'));
    m.dispose();
    writeFileSync(join(job, 'job.json'), JSON.stringify({ config, z, split, values: series.values, scaling, seed: 1, lr: 0.01, batch: 16, orders, threads: 1 }));
    const script = fileURLToPath(new URL('../scripts/compare.py', import.meta.url));
    const theirs = JSON.parse(execFileSync('/usr/bin/python3', [script, job], { encoding: 'utf8' })) as { rmse: number; mae: number };
    expect(Math.abs(ours.rmse - theirs.rmse)).toBeLessThan(1e-3 * theirs.rmse);
    expect(Math.abs(ours.mae - theirs.mae)).toBeLessThan(1e-3 * theirs.mae);
  });
});
if (!hasTorch) test.skip('parity with PyTorch: /usr/bin/python3 cannot import torch (apt-get install python3-torch)', () => {});

describe('--device webgpu', () => {
  test('trains on WebGPU to the CPU scores, or says clearly that there is no adapter', async () => {
    const args = ['train', '--example', 'air-passengers', '--epochs', '4', '--hidden', '8', '--no-chart', '--no-progress'];
    const gpu = await run(...args, '--device', 'webgpu');
    if (gpu.code !== 0) {
      // no adapter: one line that names the flag and the way out (CI requires an adapter)
      expect(process.env.REQUIRE_WEBGPU, gpu.err.join('\n')).not.toBe('1');
      expect(gpu.err).toHaveLength(1);
      expect(gpu.err[0]).toMatch(/^torchlet-forecast: --device webgpu: no WebGPU adapter here \(.*\); use --device cpu$/);
      return;
    }
    const cpu = await run(...args);
    const rmse = (r: { out: string[] }) => Number(/^test RMSE ([\d.]+)/.exec(r.out.find((l) => l.startsWith('test RMSE'))!)![1]);
    expect(gpu.out[0]).toContain('device webgpu');
    expect(Math.abs(rmse(gpu) - rmse(cpu))).toBeLessThan(0.01 * rmse(cpu));
  });
});
