import { describe, expect, it } from 'vitest';
import { distPath, importTimeEffects, keptBySideEffects, sideEffectsPattern, staleSideEffects, uncoveredEffects } from './side-effects.js';
import { publicPackages } from './workspace.js';

describe('importTimeEffects', () => {
  const lines = (src: string) => importTimeEffects(src).map((e) => e.line);

  it('finds prototype patches, registrations, loops and bare imports at the top level', () => {
    expect(lines(`import { Tensor } from './t.js';\nTensor.prototype.add = function () {};`)).toEqual([2]);
    expect(lines(`Object.defineProperty(Tensor.prototype, 'T', { get() {} });`)).toEqual([1]);
    expect(lines(`defineDerivatives({ add: {} });\nregisterBackend(cpu);`)).toEqual([1, 2]);
    expect(lines(`const proto = Tensor.prototype;\nfor (const op of OPS) proto[op] = f;`)).toEqual([2]);
    expect(lines(`import '@torchlet/backend-cpu';\nimport { x } from './x.js';`)).toEqual([1]);
    expect(lines(`if (typeof window !== 'undefined') setup();`)).toEqual([1]);
  });

  it('leaves declarations, exports, directives and the realm-wide state slot alone', () => {
    const src = [
      `'use strict';`,
      `import { registerOp } from './registry.js';`,
      `export const def = registerOp({ name: 'x' });`,
      `export function install(): void { Tensor.prototype.x = 1; }`,
      `class A {}`,
      `const g = globalThis as Record<symbol, unknown>;`,
      `const state = (g[KEY] as State | undefined) ?? {};`,
      `g[KEY] = state;`,
      `(globalThis as Record<symbol, unknown>)[KEY] = state;`,
      `export * from './y.js';`,
      `declare module './t.js' { interface Tensor { x: number } }`,
    ].join('\n');
    expect(importTimeEffects(src)).toEqual([]);
  });

  it('counts a realm slot holding something other than the module state', () => {
    expect(lines(`const g = globalThis;\ng[KEY] = makeState();\nwindow[KEY] = state;`)).toEqual([2, 3]);
  });
});

describe('sideEffects globs', () => {
  it('match as bundlers read them', () => {
    expect(sideEffectsPattern('./dist/index.js').test('dist/index.js')).toBe(true);
    expect(sideEffectsPattern('./dist/index.js').test('dist/ops/index.js')).toBe(false);
    expect(sideEffectsPattern('./dist/derivatives/*.js').test('dist/derivatives/add.js')).toBe(true);
    expect(sideEffectsPattern('./dist/derivatives/*.js').test('dist/derivatives/x/add.js')).toBe(false);
    expect(sideEffectsPattern('./dist/**/*.js').test('dist/a/b/c.js')).toBe(true);
    expect(sideEffectsPattern('./dist/**/*.js').test('dist/c.js')).toBe(true);
    expect(sideEffectsPattern('*.css').test('dist/a/b.css')).toBe(true);
  });

  it('an absent field or true keeps everything; false keeps nothing', () => {
    expect(keptBySideEffects(undefined, 'dist/x.js')).toBe(true);
    expect(keptBySideEffects(true, 'dist/x.js')).toBe(true);
    expect(keptBySideEffects(false, 'dist/x.js')).toBe(false);
    expect(keptBySideEffects(['./src/x.ts'], 'dist/x.js')).toBe(false);
    expect(distPath('src/ops/views.ts')).toBe('dist/ops/views.js');
  });
});

// The real packages: a module that patches a prototype or registers something when imported
// must be kept by its package's `sideEffects`, in the src form (the workspace's
// "@torchlet/source" condition) and the dist form (what npm users get).
describe.each(publicPackages().map((p) => [p.name, p] as const))('%s', (_name, pkg) => {
  it('sideEffects keeps every module with import-time effects', () => {
    const uncovered = uncoveredEffects(pkg.dir, pkg.json.sideEffects).map(
      (u) => `${u.forms.join(' and ')} (line ${u.effects[0]!.line}: ${u.effects[0]!.text})`,
    );
    expect(uncovered, 'add these to "sideEffects" in package.json, or move the effect into a function its index calls').toEqual([]);
  });

  it('every sideEffects entry matches a module', () => {
    expect(staleSideEffects(pkg.dir, pkg.json.sideEffects)).toEqual([]);
  });
});
