import type { DeviceName } from '@torchlet/tensor';
import type { CaseResult, MeasureOptions } from '../harness.js';

export interface WorkloadContext {
  readonly device: DeviceName;
  /** Progress lines (stderr), so `--json` output stays clean. */
  log(message: string): void;
  /** Timing settings every case uses unless it has a reason not to. */
  readonly timing: MeasureOptions;
  /** Also time the other frameworks (TensorFlow.js, onnxruntime-node, PyTorch) on W1–W4 (`--no-peers` turns it off). */
  readonly peers: boolean;
}

/** One benchmark: a set of cases, each timed against a plain-JavaScript baseline in the same run. */
export interface Workload {
  /** The `--only` name. */
  readonly name: string;
  /** One line saying what is measured. */
  readonly title: string;
  run(ctx: WorkloadContext): Promise<CaseResult[]>;
}
