/**
 * A one-time warning for training loops that dispose nothing. PyTorch frees each step's
 * tensors when their last Python reference goes; JavaScript has no such moment, and the
 * FinalizationRegistry backstop only runs when the event loop turns — never inside a
 * synchronous loop. So a synchronous PyTorch-style loop keeps every step's outputs (backward
 * frees the graph and its saved tensors; the tensors the step's code holds stay) and grows
 * without bound. That cannot be fixed silently (a tensor the code still holds must not be
 * freed), so it is pointed out: `backward()` samples the live tensor count, and when it has
 * only grown, window after window, with the event loop never turning in between (so the
 * backstop could not run), one warning names `tidy`. A loop that awaits the event loop is
 * left alone: there the backstop does reclaim, in bursts.
 */
import { memoryStats } from '@torchlet/tensor';

/** backward() calls between samples. */
const WINDOW = 200;
/** Consecutive windows of growth before warning (1,000 backward calls). */
const WINDOWS = 5;
/** Least growth over those windows (tensors): about one a step. */
const MIN_GROWTH = WINDOW * WINDOWS;

interface Watch {
  calls: number;
  /** live tensors at the samples of the current synchronous run of growth (oldest first) */
  samples: number[];
  /** The event loop turned since the last sample (a macrotask ran). */
  turned: boolean;
  warned: boolean;
}

const watch: Watch = { calls: 0, samples: [], turned: false, warned: false };

type Schedule = (fn: () => void) => { unref?: () => void } | number | undefined;
const g = globalThis as { setImmediate?: Schedule; setTimeout?: (fn: () => void, ms: number) => { unref?: () => void } | number };
/** Runs `fn` when the event loop next turns (Node: setImmediate, in order with the loop's own; else a 0 ms timer), never keeping a process alive. */
const onNextTurn: Schedule = g.setImmediate ? (fn) => g.setImmediate!(fn) : (fn) => g.setTimeout?.(fn, 0);

/** Called at the end of every backward pass. */
export function noteBackward(): void {
  if (watch.warned || ++watch.calls % WINDOW !== 0) return;
  const live = memoryStats().liveTensors;
  const s = watch.samples;
  // a run of growth ends when the count stops rising or the event loop turned (the backstop may run)
  if (s.length > 0 && (live <= s[s.length - 1]! || watch.turned)) s.length = 0;
  s.push(live);
  if (s.length > WINDOWS + 1) s.shift();
  watch.turned = false;
  const handle = onNextTurn(() => {
    watch.turned = true;
  });
  if (typeof handle === 'object') handle.unref?.();
  if (s.length <= WINDOWS || live - s[0]! < MIN_GROWTH) return;
  watch.warned = true;
  console.warn(
    `torchlet: ${live} tensors are alive, ${live - s[0]!} more than ${WINDOW * WINDOWS} backward() calls ago: memory grows every step. ` +
      'JavaScript cannot free a tensor when its last reference goes (PyTorch can), and the garbage collector\'s backstop cannot ' +
      'run inside a synchronous loop. Run each step in torch.tidy(() => { ... }) (it frees every tensor the step made except ' +
      'those it returns), or call .dispose() on the tensors you no longer need (the model output, the loss). If you keep them ' +
      'on purpose, ignore this warning; it is given once.',
  );
}

/** Forgets the samples and the warning (tests). */
export function resetGrowthWatch(): void {
  watch.calls = 0;
  watch.samples.length = 0;
  watch.turned = false;
  watch.warned = false;
}
