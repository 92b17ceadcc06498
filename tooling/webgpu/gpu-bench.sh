#!/usr/bin/env bash
# WebGPU benchmarks on a real GPU machine that has no network (e.g. a lent NVIDIA H100):
# matmul GFLOP/s and the GRU step time (`pnpm bench --device webgpu --json`), plus the
# adapter's vendor / architecture / device.
#
# Two steps:
#
#   1. Here, on a machine with the project installed (pnpm install done):
#        bash tooling/webgpu/gpu-bench.sh --prepare
#      writes tooling/webgpu/dist/gpu-bench/ (git-ignored, about 30 MiB): the benchmark bundled
#      with esbuild into one file (bench.mjs, workspace sources and TensorFlow.js included), the
#      TF.js Wasm binaries beside it, and node_modules/webgpu trimmed to its linux-x64 Dawn
#      binary. No other node_modules are needed on the GPU machine.
#
#   2. On the GPU machine, carrying the ignored paths  .gl  and  tooling/webgpu/dist
#      (the Vulkan loader debs and the bundle; the rest of the tree travels as tracked files):
#        bash tooling/webgpu/gpu-bench.sh [extra bench args, e.g. --only matmul,gru]
#      It extracts the carried debs (libvulkan1 …) into /, points the Vulkan loader at the
#      NVIDIA driver (VK_DRIVER_FILES), prints the adapter and runs the benchmarks as JSON.
#      Nothing is installed from the network. Where pnpm and a full node_modules exist instead
#      of the bundle, it runs `pnpm bench --device webgpu --json` itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=tooling/webgpu/dist/gpu-bench

if [ "${1:-}" = "--prepare" ]; then
  rm -rf "$OUT"
  mkdir -p "$OUT/node_modules/webgpu/dist/linux-x64"
  node tooling/webgpu/bundle-gpu-bench.mjs "$OUT/bench.mjs"
  WASM_DIR=$(node -e "const p=require.resolve('@tensorflow/tfjs-backend-wasm/package.json',{paths:['tooling/bench']});console.log(require('path').dirname(p)+'/dist')")
  cp "$WASM_DIR"/*.wasm "$OUT/"
  DAWN=$(node -e "const p=require.resolve('webgpu/package.json',{paths:['packages/backend-webgpu']});console.log(require('path').dirname(p))")
  cp "$DAWN/package.json" "$DAWN/index.js" "$OUT/node_modules/webgpu/"
  cp "$DAWN/dist/linux-x64/dawn.node" "$OUT/node_modules/webgpu/dist/linux-x64/"
  du -sh "$OUT"
  echo "gpu-bench: prepared $OUT; carry .gl and tooling/webgpu/dist to the GPU machine"
  exit 0
fi

# ---- on the GPU machine --------------------------------------------------------------------
if compgen -G ".gl/*.deb" > /dev/null; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
else
  echo "gpu-bench: no .gl/*.deb to extract (expecting the Vulkan loader to be installed already)" >&2
fi
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ ! -f "$VK_DRIVER_FILES" ]; then
  echo "gpu-bench: $VK_DRIVER_FILES is missing; the Vulkan loader will look for other drivers" >&2
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true

if [ -f "$OUT/bench.mjs" ]; then
  # The bundle prints the adapter (vendor / architecture / device) on stderr first.
  node "$OUT/bench.mjs" --device webgpu --json "$@"
elif command -v pnpm > /dev/null && [ -d node_modules ]; then
  node --input-type=module -e "
    const { createRequire } = await import('node:module');
    const req = createRequire(process.cwd() + '/packages/backend-webgpu/package.json');
    const { create } = await import(req.resolve('webgpu'));
    const a = await create([]).requestAdapter();
    if (!a) { console.error('webgpu adapter: none'); process.exit(1); }
    console.error('webgpu adapter: vendor=' + a.info.vendor + ' architecture=' + a.info.architecture + ' device=' + a.info.device + ' description=' + a.info.description);
  "
  pnpm bench --device webgpu --json "$@"
else
  echo "gpu-bench: neither $OUT/bench.mjs (run 'bash tooling/webgpu/gpu-bench.sh --prepare' first and carry tooling/webgpu/dist) nor pnpm with node_modules is here" >&2
  exit 1
fi
