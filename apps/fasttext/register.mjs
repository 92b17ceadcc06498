// Runs the app's TypeScript on Node 20 without a build step:
//   node --conditions=@torchlet/source --import ./register.mjs src/cli.ts
// The "@torchlet/source" condition makes workspace packages resolve to their src/*.ts.
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
