/**
 * Entry of the self-contained benchmark bundle that tooling/webgpu/gpu-bench.sh builds for a
 * GPU machine without network: registers the WebGPU backend (Dawn from the `webgpu` package
 * copied beside the bundle), prints the adapter to stderr, then runs `pnpm bench`'s main with
 * the command line it was given (`--device webgpu --json …`).
 */
import { initWebGPU } from '@torchlet/backend-webgpu';

const backend = await initWebGPU();
const info = backend.device.adapterInfo;
process.stderr.write(
  `webgpu adapter: vendor=${info.vendor || '?'} architecture=${info.architecture || '?'} device=${info.device || '?'} description=${info.description || '?'}\n`,
);
await import('../bench/src/main.js');
