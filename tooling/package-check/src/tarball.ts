/** Packing a workspace package as npm would publish it, and what its tarball must and must not hold. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { PackageJson, WorkspacePackage } from './workspace.js';

/** Files a user needs in every package. */
export const REQUIRED_FILES = ['package.json', 'LICENSE', 'README.md'] as const;

/** Why `path` (relative to the package root) is test-only code, or null when it is not. */
export function testOnlyReason(path: string): string | null {
  const parts = path.split('/');
  const base = parts.at(-1)!;
  if (parts.slice(0, -1).some((p) => p === 'test' || p === 'tests' || p === '__tests__')) return 'under a test directory';
  if (/\.(test|spec)\.[cm]?[jt]sx?(\.map)?$/.test(base) || /\.(test|spec)\.d\.[cm]?ts(\.map)?$/.test(base)) return 'a test file';
  if (/^(fixture-table|fixture-helpers|test-helpers)([.-]|$)/.test(base)) return 'a test helper';
  return null;
}

/** The problems in a tarball's file list: test-only files inside, required files missing. */
export function fileProblems(paths: readonly string[]): string[] {
  const problems: string[] = [];
  for (const p of paths) {
    const why = testOnlyReason(p);
    if (why) problems.push(`${p}: ${why}, not for users`);
  }
  const present = new Set(paths);
  for (const f of REQUIRED_FILES) if (!present.has(f)) problems.push(`${f} is missing`);
  return problems;
}

/** What a published package.json must say: where it comes from, its license, the Node it needs, no workspace protocol. */
export function manifestProblems(json: PackageJson, rel: string): string[] {
  const problems: string[] = [];
  const repo = json.repository as { type?: string; url?: string; directory?: string } | undefined;
  if (json.license !== 'MIT') problems.push(`license is ${JSON.stringify(json.license)}, not "MIT"`);
  if (repo?.type !== 'git' || !repo.url?.startsWith('git+https://') || repo.directory !== rel) problems.push(`repository must be { type: "git", url: "git+https://…", directory: "${rel}" }`);
  for (const field of ['homepage', 'bugs', 'description'] as const) if (!json[field]) problems.push(`${field} is missing`);
  if (!Array.isArray(json.keywords) || json.keywords.length === 0) problems.push('keywords are missing');
  if (typeof (json.engines as { node?: unknown } | undefined)?.node !== 'string') problems.push('engines.node is missing');
  if ((json.publishConfig as { access?: unknown } | undefined)?.access !== 'public') problems.push('publishConfig.access is not "public"');
  if (json.sideEffects === undefined) problems.push('sideEffects is missing (bundlers then keep every module)');
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
    for (const [name, spec] of Object.entries((json[field] as Record<string, string> | undefined) ?? {})) {
      if (/^(workspace|link|file):/.test(spec)) problems.push(`${field}.${name} is ${spec} (not installable from npm)`);
    }
  }
  return problems;
}

export interface Packed {
  pkg: WorkspacePackage;
  tarball: string;
  /** Paths inside the package (tar's `package/` prefix removed). */
  files: string[];
  /** The package.json inside the tarball (pnpm rewrites workspace: ranges when it packs). */
  manifest: PackageJson;
}

/** `pnpm pack` into `dest` (which runs the package's prepack, like `pnpm publish`). */
export function pack(pkg: WorkspacePackage, dest: string): Packed {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', dest, '--json'], { cwd: pkg.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // Lifecycle scripts may print before the JSON.
  const json = JSON.parse(out.slice(out.indexOf('{'))) as { filename: string };
  const tarball = json.filename.startsWith('/') ? json.filename : join(dest, json.filename);
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as PackageJson;
  return { pkg, tarball, files: listTarball(tarball), manifest };
}

/** The file paths in a .tgz, read by tar itself (not pnpm's own account of what it packed). */
export function listTarball(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\n')
    .filter((l) => l && !l.endsWith('/'))
    .map((l) => l.replace(/^[^/]+\//, ''))
    .sort();
}
