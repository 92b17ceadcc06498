/**
 * PyTorch as a benchmark peer, where `/usr/bin/python3 -c 'import torch'` works (Debian's
 * python3-torch): `pytorch_peer.py` beside this file times the same shapes in a subprocess,
 * which runs alone (nothing of Torchlet's runs meanwhile). The subprocess gets
 * OPENBLAS_CORETYPE=SkylakeX (OpenBLAS's AVX-512 kernels where the CPU has them) and
 * OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads sleep instead of spinning), and the same
 * thread count as Torchlet.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { summarize, type Stats } from '../harness.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./pytorch_peer.py', import.meta.url));
const ENV = { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX', OMP_WAIT_POLICY: 'PASSIVE' };

export interface PytorchRun {
  readonly version: string;
  readonly threads: number;
  /** The BLAS library the process loaded (e.g. libopenblas, or the reference libblas). */
  readonly blas: string;
  readonly cases: ReadonlyMap<string, Stats>;
}

let available: boolean | undefined;

/** Whether PyTorch can be imported by /usr/bin/python3. */
export function pytorchAvailable(): boolean {
  if (available === undefined) {
    available = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { env: ENV, stdio: 'ignore', timeout: 60_000 }).status === 0;
  }
  return available;
}

/**
 * Times workload `name` (matmul, elementwise, gru, lstm) in PyTorch on `threads` threads;
 * null (with the reason logged) when PyTorch is missing or the script fails.
 */
export function runPytorch(name: string, threads: number, log: (m: string) => void): PytorchRun | null {
  if (!pytorchAvailable()) return null;
  const r = spawnSync(PYTHON, [SCRIPT, String(threads), name], { env: ENV, encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    log(`pytorch: ${name} failed (${r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`})`);
    return null;
  }
  const out = JSON.parse(r.stdout) as { torch: string; threads: number; blas: string; results: Record<string, number[]> };
  const cases = new Map<string, Stats>();
  for (const [k, samples] of Object.entries(out.results)) cases.set(k, summarize(samples));
  return { version: out.torch, threads: out.threads, blas: out.blas, cases };
}
