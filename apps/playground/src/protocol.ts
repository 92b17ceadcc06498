/** Messages between the page and the training worker (training never runs on the page's thread). */

export type TaskName = 'char' | 'sentiment';
/** `auto`: WebGPU where an adapter exists, else WebAssembly. */
export type DeviceChoice = 'auto' | 'webgpu' | 'wasm';

/** Size of the character model (the page's default: GRU 2×128, 32 characters × 16 streams a step). */
export interface CharModelOptions {
  embed?: number;
  hidden?: number;
  layers?: number;
  bptt?: number;
  batch?: number;
  lr?: number;
}

export interface FileBytes {
  name: string;
  bytes: Uint8Array;
}

export type ToWorker =
  | { type: 'init'; device: DeviceChoice }
  | { type: 'start'; task: TaskName; steps?: number; seed?: number; model?: CharModelOptions }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'reset' }
  | { type: 'predict'; text: string }
  | { type: 'load'; files: FileBytes[] }
  | { type: 'download' };

export interface Backend {
  /** What trains: 'webgpu' or 'wasm' (the CPU backend's WebAssembly kernels) — or 'js' (its TypeScript kernels). */
  device: 'webgpu' | 'wasm' | 'js';
  /** The CPU backend's kernels and threads (used for the host side, and for all math on 'wasm'). */
  kernels: string;
  threads: number;
  crossOriginIsolated: boolean;
  /** Why WebGPU is not used, when it is not. */
  webgpuUnavailable: string | null;
  adapter: string | null;
}

export type FromWorker =
  | { type: 'ready'; backend: Backend }
  | { type: 'progress'; task: TaskName; step: number; loss: number; stepsPerSecond: number; memory: { liveTensors: number; liveBytes: number } }
  | { type: 'sample'; text: string }
  | { type: 'prediction'; text: string; label: string; probability: number }
  | { type: 'done'; task: TaskName; losses: number[]; firstStepMs: number }
  | { type: 'loaded'; task: TaskName; description: string }
  | { type: 'model'; files: FileBytes[] }
  | { type: 'error'; message: string };
