/**
 * A one-time warning for training loops that dispose nothing. PyTorch frees each step's
 * tensors when their last Python reference goes; JavaScript has no such moment, and the
 * FinalizationRegistry backstop only runs when the event loop turns — never inside a
 * synchronous loop. So a PyTorch-style loop keeps every step's outputs (the graph and its
 * saved tensors are freed by backward; the tensors the step's code holds are not) and
 * grows without bound. That cannot be fixed silently (a tensor the code still holds must
 * not be freed), so it is pointed out: `backward()` samples the live tensor count, and when
 * it has only grown, window after window, with nothing reclaimed, one warning names `tidy`.
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
  /** live tensors and GC reclaims at the samples of the current run of growth (oldest first) */
  samples: { live: number; reclaimed: number }[];
  warned: boolean;
}

const watch: Watch = { calls: 0, samples: [], warned: false };

/** Called at the end of every backward pass. */
export function noteBackward(): void {
  if (watch.warned || ++watch.calls % WINDOW !== 0) return;
  const { liveTensors: live, reclaimedByGC: reclaimed } = memoryStats();
  const s = watch.samples;
  const last = s[s.length - 1];
  // a run of growth ends when the count stops rising or the garbage collector releases tensors
  if (last !== undefined && (live <= last.live || reclaimed !== last.reclaimed)) s.length = 0;
  s.push({ live, reclaimed });
  if (s.length > WINDOWS + 1) s.shift();
  if (s.length <= WINDOWS || live - s[0]!.live < MIN_GROWTH) return;
  watch.warned = true;
  const grown = live - s[0]!.live;
  console.warn(
    `torchlet: ${live} tensors are alive, ${grown} more than ${WINDOW * WINDOWS} backward() calls ago, and none was released: ` +
      'memory grows every step. JavaScript cannot free a tensor when its last reference goes (PyTorch can), and the garbage ' +
      "collector's backstop never runs inside a synchronous loop. Run each step in torch.tidy(() => { ... }) (it frees every " +
      'tensor the step made except those it returns), or call .dispose() on the tensors you no longer need (the model output, ' +
      'the loss). If you keep them on purpose, ignore this warning; it is given once.',
  );
}

/** Forgets the samples and the warning (tests). */
export function resetGrowthWatch(): void {
  watch.calls = 0;
  watch.samples.length = 0;
  watch.warned = false;
}
