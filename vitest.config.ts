import { defineConfig } from 'vitest/config';

// Workspace packages import each other's TypeScript sources through the
// "@torchlet/source" export condition, so tests need no build step.
const conditions = ['@torchlet/source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'tooling/*/vitest.config.ts'],
  },
});
