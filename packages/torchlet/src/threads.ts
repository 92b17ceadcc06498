/** `torch.setNumThreads(n)` / `torch.getNumThreads()`: the CPU backend's worker threads. */
export { getNumThreads, setNumThreads } from '@torchlet/backend-cpu';
