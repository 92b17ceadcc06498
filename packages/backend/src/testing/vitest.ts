/**
 * vitest, an optional peer dependency, loaded when the testing entry is imported: the
 * helpers (seededValues, assertClose …) work without it, and runConformanceSuite says what
 * is missing instead of the whole import failing.
 */
type Vitest = typeof import('vitest');
type Used = Pick<Vitest, 'beforeAll' | 'describe' | 'expect' | 'it'>;

const loaded: Vitest | Error = await import('vitest').catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));

function missing(): never {
  throw new Error(
    `@torchlet/backend/testing: runConformanceSuite needs vitest, an optional peer dependency: install it (npm install --save-dev vitest) and run the suite with vitest (${(loaded as Error).message})`,
  );
}

const fallback = { beforeAll: missing, describe: missing, expect: missing, it: missing } as unknown as Used;

export const { beforeAll, describe, expect, it }: Used = loaded instanceof Error ? fallback : loaded;
