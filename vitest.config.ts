import { defineConfig } from 'vitest/config';

// Workspace packages import each other's TypeScript sources through the
// "@torchlet/source" export condition, so tests need no build step.
const conditions = ['@torchlet/source', 'module', 'node', 'import', 'default'];

// CI sets TORCHLET_TEST_JSON to also write vitest's JSON results (summarised by .ci/summarize.mjs).
const json = process.env.TORCHLET_TEST_JSON;

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    reporters: json ? ['default', 'json'] : ['default'],
    ...(json ? { outputFile: { json } } : {}),
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'tooling/*/vitest.config.ts'],
  },
});
