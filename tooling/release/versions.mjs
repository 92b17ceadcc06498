// Each published package exports `version` from src/version.ts, generated here from its
// package.json so that users can report what they run. `pnpm version-packages` runs
// `changeset version` and then this script; `--check` only reports disagreements.
//   node tooling/release/versions.mjs [--check]
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The workspace's published packages: every packages/* that is not private.
 * @returns {{ dir: string, name: string, version: string }[]}
 */
export function publicPackages(root = ROOT) {
  const base = join(root, 'packages');
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(base, d.name, 'package.json')))
    .map((d) => {
      const dir = join(base, d.name);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return { dir, name: pkg.name, version: pkg.version, private: pkg.private === true };
    })
    .filter((p) => !p.private)
    .map(({ dir, name, version }) => ({ dir, name, version }));
}

/**
 * The text of a package's src/version.ts.
 * @param {string} name
 * @param {string} version
 */
export function versionModule(name, version) {
  if (!/^[0-9A-Za-z.+-]+$/.test(version)) throw new Error(`${name}: unexpected version ${JSON.stringify(version)}`);
  return [
    '// Generated from package.json by tooling/release/versions.mjs (`pnpm version-packages`); do not edit.',
    '',
    `/** The version of ${name} that is running (its package.json \`version\`). */`,
    `export const version = '${version}';`,
    '',
  ].join('\n');
}

/** The version.ts path of a package directory. */
export const versionFile = (/** @type {string} */ dir) => join(dir, 'src', 'version.ts');

/**
 * Writes (or with `check`, compares) every public package's src/version.ts.
 * @returns {string[]} the files that were out of date
 */
export function syncVersions({ root = ROOT, check = false } = {}) {
  const stale = [];
  for (const p of publicPackages(root)) {
    const file = versionFile(p.dir);
    const text = versionModule(p.name, p.version);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
    stale.push(relative(root, file));
    if (!check) writeFileSync(file, text);
  }
  return stale;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  const stale = syncVersions({ check });
  for (const f of stale) console.log(`${check ? 'out of date' : 'wrote'}: ${f}`);
  if (check && stale.length) process.exitCode = 1;
}
