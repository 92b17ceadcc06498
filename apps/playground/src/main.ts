/**
 * The page: controls, the loss chart (uPlot), samples and predictions. Training runs in a Web
 * Worker (worker.ts), so the page keeps answering while the model trains; a timer on the page
 * measures that (the "page timer gap").
 *
 * Automation (tests, scripts): `window.torchletPlayground.run({ task, steps, device })` trains
 * from scratch for `steps` steps and resolves with `{ device, losses, firstStepMs }`.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { Backend, CharModelOptions, DeviceChoice, FileBytes, FromWorker, TaskName, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  task: $<HTMLSelectElement>('task'),
  device: $<HTMLSelectElement>('device'),
  start: $<HTMLButtonElement>('start'),
  pause: $<HTMLButtonElement>('pause'),
  reset: $<HTMLButtonElement>('reset'),
  download: $<HTMLButtonElement>('download'),
  files: $<HTMLInputElement>('files'),
  backend: $('backend'),
  step: $('step'),
  loss: $('loss'),
  rate: $('rate'),
  memory: $('memory'),
  tick: $('tick'),
  sample: $('sample'),
  charPanel: $('char-panel'),
  sentimentPanel: $('sentiment-panel'),
  review: $<HTMLInputElement>('review'),
  prediction: $('prediction'),
  error: $('error'),
};

// ---- the worker -----------------------------------------------------------------------------

let worker: Worker;
let backend: Backend | null = null;
let ready: Promise<Backend>;
const listeners = new Set<(m: FromWorker) => void>();

function send(m: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(m, transfer);
}

/** A fresh worker on `device` (the device is fixed for a worker's life). */
function openWorker(device: DeviceChoice): Promise<Backend> {
  worker?.terminate();
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    for (const l of listeners) l(e.data);
  };
  worker.onerror = (e) => showError(`the training worker failed: ${e.message}`);
  ready = new Promise((resolve, reject) => {
    const l = (m: FromWorker) => {
      if (m.type === 'ready') {
        listeners.delete(l);
        resolve(m.backend);
      } else if (m.type === 'error') {
        listeners.delete(l);
        reject(new Error(m.message));
      }
    };
    listeners.add(l);
  });
  send({ type: 'init', device });
  return ready.then((b) => {
    backend = b;
    ui.backend.textContent = describe(b);
    return b;
  });
}

/** Never a silent fallback: the page says what runs, and why WebGPU does not. */
function describe(b: Backend): string {
  const cpu = `${b.kernels === 'wasm' ? 'WebAssembly SIMD' : 'TypeScript'} kernels on ${b.threads} thread${b.threads === 1 ? '' : 's'}${b.crossOriginIsolated ? '' : ' (page not cross-origin isolated: one thread)'}`;
  if (b.device === 'webgpu') return `Training on WebGPU${b.adapter ? ` (${b.adapter})` : ''}; host work on ${cpu}.`;
  return `Training on the CPU: ${cpu}. WebGPU not used: ${b.webgpuUnavailable}.`;
}

function showError(message: string): void {
  ui.error.hidden = false;
  ui.error.textContent = message;
}

// ---- the chart --------------------------------------------------------------------------------

const steps: number[] = [];
const lossValues: number[] = [];
const chart = new uPlot(
  {
    width: Math.min(930, document.body.clientWidth - 48),
    height: 260,
    scales: { x: { time: false } },
    axes: [{ label: 'step' }, { label: 'loss' }],
    series: [{ label: 'step' }, { label: 'training loss', stroke: '#1f6feb', width: 1.5 }],
    legend: { show: false },
  },
  [steps, lossValues],
  $('chart'),
);
let redraw = 0;
function plot(): void {
  if (redraw) return;
  redraw = requestAnimationFrame(() => {
    redraw = 0;
    chart.setData([steps, lossValues]);
  });
}

// ---- state and controls -----------------------------------------------------------------------

let running = false;
let currentTask: TaskName | null = null;

function clearRun(): void {
  steps.length = 0;
  lossValues.length = 0;
  plot();
  ui.step.textContent = '0';
  ui.loss.textContent = '—';
  ui.rate.textContent = '—';
}

function setRunning(r: boolean): void {
  running = r;
  ui.start.disabled = r;
  ui.pause.disabled = !currentTask;
  ui.pause.textContent = r ? 'Pause' : 'Resume';
  ui.reset.disabled = !currentTask;
  ui.download.disabled = !currentTask;
}

function showPanels(task: TaskName): void {
  ui.charPanel.hidden = task !== 'char';
  ui.sentimentPanel.hidden = task !== 'sentiment';
}

listeners.add((m) => {
  switch (m.type) {
    case 'progress':
      steps.push(m.step);
      lossValues.push(m.loss);
      plot();
      ui.step.textContent = String(m.step);
      ui.loss.textContent = m.loss.toFixed(3);
      ui.rate.textContent = m.stepsPerSecond.toFixed(1);
      ui.memory.textContent = `${m.memory.liveTensors} (${(m.memory.liveBytes / 1e6).toFixed(1)})`;
      break;
    case 'sample':
      ui.sample.textContent = m.text;
      break;
    case 'prediction':
      if (m.text === ui.review.value) ui.prediction.textContent = `${m.label} (${(m.probability * 100).toFixed(1)} %)`;
      break;
    case 'done':
      setRunning(false);
      break;
    case 'loaded':
      currentTask = m.task;
      ui.task.value = m.task;
      showPanels(m.task);
      clearRun();
      setRunning(false);
      ui.backend.textContent = `${backend ? describe(backend) : ''} Loaded ${m.description}.`;
      break;
    case 'model':
      for (const f of m.files) {
        const a = document.createElement('a');
        a.href = URL.createObjectURL(new Blob([f.bytes as BlobPart]));
        a.download = f.name;
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      }
      break;
    case 'error':
      showError(m.message);
      setRunning(false);
      break;
  }
});

ui.start.onclick = async () => {
  ui.error.hidden = true;
  const task = ui.task.value as TaskName;
  currentTask = task;
  showPanels(task);
  clearRun();
  await ready;
  send({ type: 'start', task });
  setRunning(true);
};
ui.pause.onclick = () => {
  send({ type: running ? 'pause' : 'resume' });
  setRunning(!running);
};
ui.reset.onclick = () => {
  send({ type: 'reset' });
  currentTask = null;
  clearRun();
  setRunning(false);
};
ui.download.onclick = () => send({ type: 'download' });
ui.device.onchange = () => {
  currentTask = null;
  clearRun();
  setRunning(false);
  ui.backend.textContent = 'Starting…';
  openWorker(ui.device.value as DeviceChoice).catch((e: Error) => showError(e.message));
};
ui.task.onchange = () => showPanels(ui.task.value as TaskName);
ui.review.oninput = () => {
  if (currentTask === 'sentiment' && ui.review.value.trim()) send({ type: 'predict', text: ui.review.value });
};

async function loadFiles(list: FileList | File[]): Promise<void> {
  const files: FileBytes[] = await Promise.all([...list].map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
  await ready;
  send({ type: 'load', files }, files.map((f) => f.bytes.buffer as ArrayBuffer));
}
ui.files.onchange = () => ui.files.files && void loadFiles(ui.files.files);
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  if (e.dataTransfer?.files.length) void loadFiles(e.dataTransfer.files);
});

// ---- responsiveness: how late the page's own timer fires while training runs ----------------

let lastTick = performance.now();
let worstGap = 0;
setInterval(() => {
  const now = performance.now();
  worstGap = Math.max(worstGap, now - lastTick - 50);
  lastTick = now;
}, 50);
setInterval(() => {
  ui.tick.textContent = worstGap.toFixed(0);
  worstGap = 0;
}, 1000);

// ---- automation hook ----------------------------------------------------------------------------

interface RunOptions {
  task: TaskName;
  steps: number;
  device?: DeviceChoice;
  seed?: number;
  /** The character model's size (a smaller one for quick checks on a software GPU). */
  model?: CharModelOptions;
}

declare global {
  interface Window {
    torchletPlayground: {
      run(o: RunOptions): Promise<{ device: Backend['device']; losses: number[]; firstStepMs: number; backend: Backend }>;
      /** How regularly a 50 ms timer on the page fired since the last call: gap percentiles in ms. */
      timerStats(): { count: number; p50: number; p95: number; max: number };
      chartPoints(): number;
    };
  }
}

// every gap between two firings of the 50 ms timer since the last `timerStats()` call
const gaps: number[] = [];
let lastProbe = performance.now();
setInterval(() => {
  const now = performance.now();
  gaps.push(now - lastProbe);
  lastProbe = now;
}, 50);

window.torchletPlayground = {
  async run({ task, steps: n, device, seed, model }) {
    if (!Number.isInteger(n) || n < 1) throw new TypeError(`run: steps must be a positive integer (got ${String(n)})`);
    if (device && device !== ui.device.value) {
      ui.device.value = device;
      await openWorker(device);
    }
    const b = await ready;
    ui.task.value = task;
    currentTask = task;
    showPanels(task);
    clearRun();
    setRunning(true);
    const done = new Promise<{ losses: number[]; firstStepMs: number }>((resolve, reject) => {
      const l = (m: FromWorker) => {
        if (m.type === 'done' && m.task === task) {
          listeners.delete(l);
          resolve(m);
        } else if (m.type === 'error') {
          listeners.delete(l);
          reject(new Error(m.message));
        }
      };
      listeners.add(l);
    });
    send({ type: 'start', task, steps: n, ...(seed === undefined ? {} : { seed }), ...(model ? { model } : {}) });
    const r = await done;
    return { device: b.device, losses: r.losses, firstStepMs: r.firstStepMs, backend: b };
  },
  timerStats() {
    const sorted = gaps.splice(0).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return { count: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? NaN };
  },
  chartPoints: () => chart.data[0]?.length ?? 0,
};

openWorker(ui.device.value as DeviceChoice).catch((e: Error) => showError(e.message));
