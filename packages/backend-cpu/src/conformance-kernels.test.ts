import { runConformanceSuite } from '@torchlet/backend/testing';
import { CpuBackend } from './cpu-backend.js';

// Both kernel sets pass the same suite: the TypeScript reference kernels, and the Wasm SIMD
// kernels (with the TypeScript ones behind them for whatever they do not cover).
runConformanceSuite('cpu (js kernels)', () => new CpuBackend({ kernels: 'js' }));
runConformanceSuite('cpu (wasm kernels)', () => new CpuBackend({ kernels: 'wasm' }));
