/**
 * A fresh project outside the repository that installs the tarballs with npm, as a user
 * would, and the strict TypeScript consumer that typechecks against what they ship.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Packed } from './tarball.js';

const require = createRequire(import.meta.url);
export const CONSUMER_SOURCES = resolve(dirname(fileURLToPath(import.meta.url)), '../consumer');

/** The oldest TypeScript the shipped .d.ts support: 5.2 brought lib esnext.disposable (`[Symbol.dispose]`). */
export const MIN_TYPESCRIPT: string = require('typescript-min/package.json').version;

/** TypeScript releases the consumer typechecks with: the workspace's and the oldest one the packages claim. */
export const TYPESCRIPTS = [
  { label: `TS ${require('typescript/package.json').version}`, tsc: require.resolve('typescript/bin/tsc') },
  { label: `TS ${MIN_TYPESCRIPT} (minimum)`, tsc: require.resolve('typescript-min/bin/tsc') },
];

/** The consumer's module settings; everything else is the strict default a user would have. */
export const MODULE_MODES = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
} as const;

export interface Consumer {
  dir: string;
}

/** The subpaths of a package's `exports` a user may import (test-only ones left out). */
export function importSpecifiers(p: Packed): string[] {
  const exp = p.pkg.json.exports ?? { '.': null };
  return Object.keys(exp)
    .filter((k) => !/fixture|test-helpers/.test(k))
    .map((k) => (k === '.' ? p.pkg.name : `${p.pkg.name}/${k.replace(/^\.\//, '')}`));
}

/**
 * A temp project with every tarball installed in one `npm install`; `overrides` pins the
 * packages' dependencies on each other to the same tarballs, so nothing of ours comes from
 * the registry.
 */
export function createConsumer(packed: readonly Packed[]): Consumer {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-consumer-'));
  const dependencies: Record<string, string> = {};
  const overrides: Record<string, string> = {};
  for (const p of packed) {
    dependencies[p.pkg.name] = `file:${p.tarball}`;
    overrides[p.pkg.name] = `$${p.pkg.name}`;
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'torchlet-consumer', private: true, type: 'module', dependencies, overrides }, null, 2));
  for (const f of readdirSync(CONSUMER_SOURCES)) copyFileSync(join(CONSUMER_SOURCES, f), join(dir, f));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  return { dir };
}

/** Problems with what npm installed: a package of ours from anywhere but its tarball, or a second copy. */
export function installProblems(consumer: Consumer, packed: readonly Packed[]): string[] {
  const lock = JSON.parse(readFileSync(join(consumer.dir, 'node_modules/.package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
  const ours = new Map(packed.map((p) => [p.pkg.name, p.tarball]));
  const problems: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    const name = path.replace(/^.*node_modules\//, '');
    const tarball = ours.get(name);
    if (!tarball) continue;
    if (path !== `node_modules/${name}`) problems.push(`${name}: a second copy at ${path}`);
    const resolved = entry.resolved ?? '';
    if (!resolved.startsWith('file:') || resolve(consumer.dir, resolved.slice(5)) !== tarball) problems.push(`${name}: installed from ${resolved || 'the registry'}, not its tarball`);
  }
  for (const name of ours.keys()) if (!existsSync(join(consumer.dir, 'node_modules', name, 'package.json'))) problems.push(`${name}: not installed`);
  return problems;
}

/** Writes the strict consumer's entry (every public entry point plus hand-written usage) and its tsconfigs. */
export function writeTypecheckProject(consumer: Consumer, packed: readonly Packed[]): void {
  const specs = packed.flatMap(importSpecifiers);
  const lines = specs.map((s, i) => `import * as m${i} from '${s}';`);
  lines.push(`export const modules = [${specs.map((_, i) => `m${i}`).join(', ')}];`);
  writeFileSync(join(consumer.dir, 'all-entries.ts'), `${lines.join('\n')}\n`);
  for (const [mode, settings] of Object.entries(MODULE_MODES)) {
    const tsconfig = {
      compilerOptions: { ...settings, target: 'es2022', strict: true, skipLibCheck: false, noEmit: true },
      files: ['all-entries.ts', 'usage.ts'],
    };
    writeFileSync(join(consumer.dir, `tsconfig.${mode}.json`), JSON.stringify(tsconfig, null, 2));
  }
}

/** `tsc -p tsconfig.<mode>.json` with one TypeScript; resolves to its error lines. */
export function typecheck(consumer: Consumer, tsc: string, mode: keyof typeof MODULE_MODES): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', `tsconfig.${mode}.json`, '--pretty', 'false'], { cwd: consumer.dir, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const errors = `${stdout}${stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));
      if (err && errors.length === 0) errors.push(`tsc failed: ${`${stdout}${stderr}`.trim().slice(0, 500) || err.message}`);
      resolve(errors);
    });
  });
}

/** Runs `script` (a consumer module exporting `run()`) in Node; resolves to run()'s result. */
export function runInNode(consumer: Consumer, script: string): Promise<unknown> {
  const code = `const m = await import(${JSON.stringify(`./${script}`)}); console.log(JSON.stringify(await m.run()));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: consumer.dir, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${stderr || stdout}`.trim().split('\n').slice(0, 12).join('\n') || err.message));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
    });
  });
}
