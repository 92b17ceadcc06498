/**
 * Grad mode, inference mode and anomaly detection: global flags with scoped setters.
 * Scoped functions refuse Promise-returning callbacks, because the mode would leak
 * across the `await` into unrelated code.
 */

interface ModeState {
  gradEnabled: boolean;
  inference: boolean;
  /** > 0 while a recorded op's forward runs: its inner dispatches must not record. */
  suspended: number;
  anomaly: boolean;
}

const KEY = Symbol.for('@torchlet/autograd/mode');
const g = globalThis as Record<symbol, unknown>;
export const mode: ModeState = (g[KEY] as ModeState | undefined) ?? { gradEnabled: true, inference: false, suspended: 0, anomaly: false };
g[KEY] = mode;

/** Whether ops record the graph now (grad mode on and not inside a recorded op's forward). */
export function isRecording(): boolean {
  return mode.gradEnabled && mode.suspended === 0;
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function refuseAsync(name: string, result: unknown): void {
  if (isThenable(result)) {
    throw new TypeError(
      `${name}(fn): fn returned a Promise; ${name} scopes are synchronous and the mode would leak across 'await'. ` +
        'Call the scope inside the async code around the synchronous part, or use setGradEnabled().',
    );
  }
}

function scoped<T>(name: string, fn: () => T, enter: () => () => void): T {
  const restore = enter();
  let result: T;
  try {
    result = fn();
  } finally {
    restore();
  }
  refuseAsync(name, result);
  return result;
}

/** `torch.is_grad_enabled()`. */
export function isGradEnabled(): boolean {
  return mode.gradEnabled;
}

/** `torch.set_grad_enabled(mode)` as a global switch. */
export function setGradEnabled(enabled: boolean): void {
  mode.gradEnabled = enabled;
}

/** `with torch.no_grad():` — runs `fn` without recording the graph. */
export function noGrad<T>(fn: () => T): T {
  return scoped('noGrad', fn, () => {
    const prev = mode.gradEnabled;
    mode.gradEnabled = false;
    return () => {
      mode.gradEnabled = prev;
    };
  });
}

/** `with torch.enable_grad():` — records the graph inside a `noGrad` scope. */
export function enableGrad<T>(fn: () => T): T {
  return scoped('enableGrad', fn, () => {
    const prev = mode.gradEnabled;
    const prevSuspended = mode.suspended;
    mode.gradEnabled = true;
    mode.suspended = 0;
    return () => {
      mode.gradEnabled = prev;
      mode.suspended = prevSuspended;
    };
  });
}

/** `with torch.inference_mode():` — like `noGrad` (no recording), for pure inference. */
export function inferenceMode<T>(fn: () => T): T {
  return scoped('inferenceMode', fn, () => {
    const prev = mode.gradEnabled;
    const prevInference = mode.inference;
    mode.gradEnabled = false;
    mode.inference = true;
    return () => {
      mode.gradEnabled = prev;
      mode.inference = prevInference;
    };
  });
}

/** `torch.is_inference_mode_enabled()`. */
export function isInferenceModeEnabled(): boolean {
  return mode.inference;
}

/** Runs `fn` with recording suspended (the forward of an op that records one node for itself). */
export function withoutRecording<T>(fn: () => T): T {
  mode.suspended++;
  try {
    return fn();
  } finally {
    mode.suspended--;
  }
}

/** Runs `fn` with recording on or off, whatever the surrounding mode (the engine: on iff createGraph). */
export function withRecording<T>(on: boolean, fn: () => T): T {
  const prev = mode.gradEnabled;
  const prevSuspended = mode.suspended;
  mode.gradEnabled = on;
  mode.suspended = 0;
  try {
    return fn();
  } finally {
    mode.gradEnabled = prev;
    mode.suspended = prevSuspended;
  }
}

/** `torch.autograd.set_detect_anomaly(mode)`. */
export function setDetectAnomaly(enabled: boolean): void {
  mode.anomaly = enabled;
}

/** `torch.is_anomaly_enabled()`. */
export function isAnomalyEnabled(): boolean {
  return mode.anomaly;
}

/**
 * `with torch.autograd.detect_anomaly():` — forward ops remember where they were created,
 * and a backward that produces NaN or Inf raises naming the function that did.
 */
export function detectAnomaly<T>(fn: () => T): T {
  return scoped('detectAnomaly', fn, () => {
    const prev = mode.anomaly;
    mode.anomaly = true;
    return () => {
      mode.anomaly = prev;
    };
  });
}
