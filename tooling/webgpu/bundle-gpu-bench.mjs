// Bundles tooling/webgpu/gpu-bench-entry.ts (WebGPU set-up + `pnpm bench`'s main) into one ESM
// file for a machine without node_modules: workspace packages from source, TensorFlow.js
// included, only the native Dawn addon (`webgpu`) left external. Used by gpu-bench.sh --prepare.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const out = process.argv[2];
if (!out) throw new Error('usage: node bundle-gpu-bench.mjs OUT.mjs');
const require = createRequire(new URL('../../packages/torchlet/package.json', import.meta.url));
const esbuild = require('esbuild');
await esbuild.build({
  entryPoints: [fileURLToPath(new URL('./gpu-bench-entry.ts', import.meta.url))],
  outfile: out,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  conditions: ['@torchlet/source'],
  // The entry sits outside any package: resolve its bare imports as the bench package does.
  nodePaths: [fileURLToPath(new URL('../bench/node_modules', import.meta.url))],
  external: ['webgpu'],
  // CommonJS dependencies (TF.js and its Emscripten loader) expect require / __dirname; the
  // Wasm binaries are copied beside the bundle.
  banner: {
    js: [
      "import { createRequire as __cr } from 'node:module';",
      "import { fileURLToPath as __fu } from 'node:url';",
      "import { dirname as __dn } from 'node:path';",
      'const require = __cr(import.meta.url);',
      'const __filename = __fu(import.meta.url);',
      'const __dirname = __dn(__filename);',
    ].join('\n'),
  },
  logLevel: 'warning',
});
