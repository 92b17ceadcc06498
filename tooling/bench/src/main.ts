/**
 * `pnpm bench [--json] [--only matmul,elementwise] [--device cpu|webgpu] [--no-peers] [--no-relaxed-simd]`
 *
 * Runs each workload against a plain-JavaScript baseline in the same process and prints
 * median times, throughput and the Torchlet/baseline ratio (or JSON with `--json`). W1–W4
 * (matmul 1024², GRU, LSTM, the elementwise chain) also run TensorFlow.js (cpu and wasm),
 * onnxruntime-node and PyTorch (where `python3 -c 'import torch'` works) in the same run,
 * each printed with Torchlet's speed ratio against it. TensorFlow.js and onnxruntime-node are
 * not in the workspace install: the first run that needs them installs them into
 * tooling/bench/peers (`npm ci`, pinned by its package-lock.json).
 */
import { relaxedSimdBuiltIn } from './engine-flags.js';
import { arch, cpus, platform } from 'node:os';
import { hasBackend } from '@torchlet/backend';
import { getNumThreads, wasmFeatures } from '@torchlet/backend-cpu';
import type { DeviceName } from '@torchlet/tensor';
import { fmt, type CaseResult } from './harness.js';
import { peerVersions, pytorchAvailable } from './peers/index.js';
import { WORKLOADS } from './workloads/index.js';

interface Options {
  json: boolean;
  only: string[] | null;
  device: DeviceName;
  peers: boolean;
  relaxedSimd: boolean;
}

const USAGE = `Usage: pnpm bench [--json] [--only ${WORKLOADS.map((w) => w.name).join(',')}] [--device cpu|webgpu] [--no-peers] [--no-relaxed-simd]

  --json           print machine-readable JSON on stdout (progress goes to stderr)
  --only a,b       run only these workloads (${WORKLOADS.map((w) => w.name).join(', ')})
  --device NAME    cpu (default) or webgpu
  --no-peers       skip the other frameworks (TensorFlow.js cpu, onnxruntime-node, PyTorch) on W1–W4
                   (GRU/LSTM still need TensorFlow.js wasm, their baseline). The JavaScript peers
                   install into tooling/bench/peers on first use (npm ci, needs the npm registry)
  --no-relaxed-simd  keep Node 20's relaxed-SIMD flag off: plain-SIMD kernels without fused multiply-add
                   (Node 22+ always has relaxed SIMD)
  --help           this text`;

class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): Options | 'help' {
  const options: Options = { json: false, only: null, device: 'cpu', peers: true, relaxedSimd: true };
  const args = argv.filter((a) => a !== '--');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--json':
        options.json = true;
        break;
      case '--only': {
        const names = value().split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !WORKLOADS.some((w) => w.name === n));
        if (unknown.length) {
          throw new UsageError(`unknown workload ${unknown.join(', ')} (known: ${WORKLOADS.map((w) => w.name).join(', ')})`);
        }
        options.only = names;
        break;
      }
      case '--device': {
        const d = value();
        if (d !== 'cpu' && d !== 'webgpu') throw new UsageError(`unknown device '${d}' (cpu or webgpu)`);
        options.device = d;
        break;
      }
      case '--no-peers':
        options.peers = false;
        break;
      case '--no-relaxed-simd': // read before the kernels are built (engine-flags.ts)
        options.relaxedSimd = false;
        break;
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  return options;
}

function table(results: readonly CaseResult[]): string {
  const header = ['case', 'torchlet', '', 'baseline', '', 'ratio', 'max |diff|'];
  const rows = results.map((r) => [
    r.case,
    `${fmt(r.torchlet.stats.median)} ms`,
    `${fmt(r.torchlet.throughput)} ${r.unit}`,
    `${fmt(r.baseline.stats.median)} ms`,
    `${fmt(r.baseline.throughput)} ${r.unit}`,
    `${fmt(r.ratio, 2)}x`,
    r.maxAbsDiff.toExponential(1),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]): string =>
    `  ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`;
  return [line(header), ...rows.map(line)].join('\n');
}

/** Each case's peers: time, throughput, and Torchlet's ratio against the peer (>1: Torchlet faster). */
function peerTable(results: readonly CaseResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    if (!r.peers?.length) continue;
    rows.push([r.case, `${fmt(r.torchlet.stats.median)} ms`, `${fmt(r.torchlet.throughput)} ${r.unit}`, 'torchlet', '']);
    for (const p of r.peers) {
      const diff = Number.isNaN(p.maxAbsDiff) ? '' : `max |diff| ${p.maxAbsDiff.toExponential(1)}`;
      rows.push([`  ${p.label}`, `${fmt(p.stats.median)} ms`, `${fmt(p.throughput)} ${r.unit}`, `torchlet ${fmt(p.ratio, 2)}x`, diff]);
    }
  }
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((cells) => `  ${cells.map((cell, c) => (c === 0 || c === 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`.trimEnd()).join('\n');
}

/** One line per W1–W4 case: Torchlet's median and its ratio against every peer. */
function summary(results: readonly CaseResult[]): string {
  const lines = results
    .filter((r) => r.peers?.length)
    .map((r) => `  ${r.case}: torchlet ${fmt(r.torchlet.stats.median)} ms — ${r.peers!.map((p) => `${p.label} ${fmt(p.stats.median)} ms (${fmt(p.ratio, 2)}x)`).join(', ')}`);
  return lines.length ? `Summary: Torchlet vs peers (ratio = Torchlet speed ÷ peer speed; medians)\n${lines.join('\n')}` : '';
}

/** Registers the WebGPU backend (`await torch.webgpu.init()`); returns why it failed, or null. */
async function initWebGPUBackend(): Promise<string | null> {
  try {
    // A computed specifier keeps the WebGPU sources (and their GPU typings) out of this package's typecheck.
    const specifier = '@torchlet/backend-webgpu';
    const { initWebGPU } = (await import(specifier)) as { initWebGPU(): Promise<unknown> };
    await initWebGPU();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** What the CPU backend runs here: Wasm SIMD with or without relaxed SIMD (FMA), or the TypeScript kernels. */
function cpuKernelsLine(): string {
  if (process.env['TORCHLET_CPU_KERNELS'] === 'js') return 'TypeScript (TORCHLET_CPU_KERNELS=js)';
  const f = wasmFeatures();
  if (!f.simd) return 'TypeScript (this engine has no WebAssembly SIMD)';
  const fma = f.relaxedSimd ? 'relaxed SIMD (fused multiply-add)' : 'plain SIMD (no fused multiply-add; --no-relaxed-simd or no engine support)';
  return `Wasm SIMD, ${fma}, ${getNumThreads()} thread(s), shared memory ${f.sharedMemory ? 'yes' : 'no'}`;
}

async function main(): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`bench: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (!options.relaxedSimd && relaxedSimdBuiltIn) {
    console.error(`bench: --no-relaxed-simd has no effect on Node ${process.version}, which always has relaxed SIMD (only Node 20 can run without it).`);
  }
  if (options.device === 'webgpu' && !hasBackend('webgpu')) {
    const reason = await initWebGPUBackend();
    if (reason) {
      console.error(`bench: device 'webgpu' is not available: ${reason}\nRun with --device cpu.`);
      return 1;
    }
  }
  if (!hasBackend(options.device)) {
    console.error(`bench: no backend is registered for device '${options.device}'.`);
    return 1;
  }
  const selected = options.only ? WORKLOADS.filter((w) => options.only!.includes(w.name)) : WORKLOADS;
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const peers = options.peers && options.device === 'cpu';
  const ctx = { device: options.device, log, timing: { warmup: 2, minRuns: 5, maxRuns: 20, targetMs: 1000 }, peers };
  const meta = {
    device: options.device,
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    cpuKernels: cpuKernelsLine(),
    date: new Date().toISOString(),
    statistic: 'median',
    peers: peers
      ? { tfjs: peerVersions()['@tensorflow/tfjs'], onnxruntimeNode: peerVersions()['onnxruntime-node'], pytorch: pytorchAvailable() }
      : false,
  };
  if (!options.json) {
    console.log(`Torchlet benchmarks: device ${meta.device}, Node ${meta.node}, ${meta.platform}, ${meta.cpu} (${meta.cores} cores)`);
    console.log(`CPU kernels: ${meta.cpuKernels}`);
    console.log('Median of timed runs after warm-up; ratio = torchlet throughput / naive-JS throughput.\n');
  }
  const all: CaseResult[] = [];
  for (const w of selected) {
    const results = await w.run(ctx);
    all.push(...results);
    if (!options.json) {
      const p = peerTable(results);
      console.log(`${w.title}\n${table(results)}\n${p ? `\n${p}\n` : ''}`);
    }
  }
  if (!options.json && peers) console.log(summary(all));
  if (options.json) console.log(JSON.stringify({ meta, results: all }, null, 2));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
