/**
 * The training worker: owns the device, the model and the loop, so the page stays responsive
 * whatever the training does. It answers the page between steps (pause, resume, reset,
 * predictions, downloads) and reports every step.
 */
import { cpuBackend, threadStats } from '@torchlet/backend-cpu';
import * as torch from 'torchlet';
import type { Backend, CharModelOptions, DeviceChoice, FileBytes, FromWorker, TaskName, ToWorker } from './protocol.js';
import { charTask, loadCharTask, loadSentimentTask, sentimentTask, type Task } from './tasks.js';

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let backend: Backend | null = null;
let task: Task | null = null;
let running = false;
let losses: number[] = [];
let seed = 0;
/** Steps still to run for an automated run (`run({ steps })`); Infinity when the page drives. */
let budget = Infinity;
let loopActive = false;

async function init(choice: DeviceChoice): Promise<Backend> {
  let webgpuUnavailable: string | null = null;
  let adapter: string | null = null;
  if (choice !== 'wasm') {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) webgpuUnavailable = 'this browser has no navigator.gpu';
    else {
      try {
        const be = await torch.webgpu.init();
        const info = (be.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
        adapter = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter' : null;
      } catch (e) {
        webgpuUnavailable = (e as Error).message;
      }
    }
    if (choice === 'webgpu' && webgpuUnavailable !== null) throw new Error(`WebGPU was asked for but is unavailable: ${webgpuUnavailable}`);
  } else {
    webgpuUnavailable = 'WebAssembly was chosen';
  }
  // threads need a cross-origin isolated page (COOP/COEP); without them the CPU backend runs on one
  if (globalThis.crossOriginIsolated) torch.setNumThreads(Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 8)));
  await torch.whenThreadsReady();
  const kernels = cpuBackend.kernels;
  return {
    device: webgpuUnavailable === null ? 'webgpu' : kernels === 'wasm' ? 'wasm' : 'js',
    kernels,
    threads: threadStats()?.usableThreads ?? 1,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    webgpuUnavailable,
    adapter,
  };
}

const deviceName = (): torch.DeviceName => (backend?.device === 'webgpu' ? 'webgpu' : 'cpu');

async function startTask(name: TaskName, size?: CharModelOptions): Promise<void> {
  task?.dispose();
  task = null;
  losses = [];
  task = name === 'char' ? await charTask(deviceName(), seed, undefined, size) : await sentimentTask(deviceName(), seed);
}

async function loop(): Promise<void> {
  if (loopActive) return;
  loopActive = true;
  let firstStepMs = NaN;
  try {
    let since = performance.now();
    let stepsSince = 0;
    while (running && task && budget > 0) {
      const t0 = performance.now();
      const loss = await task.step();
      if (Number.isNaN(firstStepMs)) firstStepMs = performance.now() - t0;
      losses.push(loss);
      budget--;
      stepsSince++;
      const now = performance.now();
      const rate = (stepsSince * 1000) / Math.max(1, now - since);
      if (now - since > 2000) {
        since = now;
        stepsSince = 0;
      }
      const m = torch.memoryStats();
      post({ type: 'progress', task: task.name, step: losses.length, loss, stepsPerSecond: rate, memory: { liveTensors: m.liveTensors, liveBytes: m.liveBytes } });
      if (losses.length % 25 === 0) {
        const text = await task.show();
        if (text !== null) post({ type: 'sample', text });
      }
      await new Promise((r) => setTimeout(r, 0)); // let pause/predict/download messages in
    }
    if (task && budget === 0) {
      running = false;
      post({ type: 'done', task: task.name, losses: [...losses], firstStepMs });
    }
  } catch (e) {
    running = false;
    post({ type: 'error', message: (e as Error).message });
  } finally {
    loopActive = false;
  }
}

async function load(files: FileBytes[]): Promise<void> {
  const ckpt = files.find((f) => f.name.endsWith('.ckpt'));
  running = false;
  task?.dispose();
  task = null;
  losses = [];
  task = ckpt ? await loadCharTask(ckpt.bytes, deviceName(), seed) : await loadSentimentTask(files, deviceName(), seed);
  post({ type: 'loaded', task: task.name, description: files.map((f) => f.name).join(' + ') });
}

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  try {
    switch (m.type) {
      case 'init':
        backend = await init(m.device);
        post({ type: 'ready', backend });
        break;
      case 'start':
        running = false;
        while (loopActive) await new Promise((r) => setTimeout(r, 1));
        seed = m.seed ?? 0;
        budget = m.steps ?? Infinity;
        await startTask(m.task, m.model);
        running = true;
        void loop();
        break;
      case 'pause':
        running = false;
        break;
      case 'resume':
        if (task && !running) {
          running = true;
          if (budget === 0) budget = Infinity;
          void loop();
        }
        break;
      case 'reset':
        running = false;
        while (loopActive) await new Promise((r) => setTimeout(r, 1));
        task?.dispose();
        task = null;
        losses = [];
        break;
      case 'predict':
        if (task?.predict) post({ type: 'prediction', text: m.text, ...(await task.predict(m.text)) });
        break;
      case 'load':
        await load(m.files);
        break;
      case 'download':
        if (!task) throw new Error('nothing to download: train or load a model first');
        {
          const files = await task.save();
          post({ type: 'model', files }, files.map((f) => f.bytes.buffer as ArrayBuffer));
        }
        break;
    }
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
  }
};
