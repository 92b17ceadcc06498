// Runs workspace TypeScript on Node 20 without a build step (the benchmark, the apps):
//   node --conditions=@torchlet/source --import @torchlet/ts-run/register src/main.ts
// The "@torchlet/source" condition makes workspace packages resolve to their src/*.ts;
// the loader strips types with the TypeScript compiler already in the workspace.
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
