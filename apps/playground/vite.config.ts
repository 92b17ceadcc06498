import { defineConfig } from 'vite';

// Cross-origin isolation (COOP + COEP) gives the page SharedArrayBuffer, so the CPU backend can
// run its WebAssembly kernels on worker threads. Any static host serving dist/ needs the same two
// headers for threads; without them the page still works, on one thread, and says so.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // the workspace packages' TypeScript sources (no build step needed in the monorepo)
  resolve: { conditions: ['@torchlet/source', 'module', 'browser', 'default'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
  server: { headers: isolation },
  preview: { headers: isolation },
});
