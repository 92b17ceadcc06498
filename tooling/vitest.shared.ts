import { defineProject } from 'vitest/config';

const conditions = ['@torchlet/source', 'module', 'node', 'import', 'default'];

/** The per-package vitest project: source-condition resolution and Node environment. */
export function torchletProject(name: string, extra: { testTimeout?: number } = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: conditions } },
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: extra.testTimeout ?? 20_000,
    },
  });
}
