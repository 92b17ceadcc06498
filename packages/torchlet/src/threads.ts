/**
 * `torch.setNumThreads(n)` / `torch.getNumThreads()`: the CPU backend's worker threads, and
 * `torch.whenThreadsReady()` to wait for them without blocking (a browser's main thread).
 */
export { getNumThreads, setNumThreads, whenThreadsReady } from '@torchlet/backend-cpu';
