/** The workspace's packages as the check sees them: every package.json under the workspace globs. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  sideEffects?: boolean | string[];
  exports?: Record<string, unknown>;
  files?: string[];
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

export interface WorkspacePackage {
  name: string;
  /** Absolute directory. */
  dir: string;
  /** Directory relative to the repository root, e.g. `packages/tensor`. */
  rel: string;
  json: PackageJson;
}

/** The globs of pnpm-workspace.yaml (only `dir/*` entries, which is all this repository uses). */
function workspaceGlobs(): string[] {
  const yaml = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\s*\n((?:\s+-\s+.*\n?)+)/m.exec(yaml);
  if (!block) throw new Error('pnpm-workspace.yaml: no packages list');
  return [...block[1]!.matchAll(/-\s+['"]?([^'"\s]+)['"]?/g)].map((m) => m[1]!);
}

export function workspacePackages(): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  for (const glob of workspaceGlobs()) {
    if (!glob.endsWith('/*')) throw new Error(`pnpm-workspace.yaml: unsupported glob ${glob}`);
    const parent = glob.slice(0, -2);
    for (const entry of readdirSync(join(ROOT, parent), { withFileTypes: true })) {
      const file = join(ROOT, parent, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      out.push({ name: json.name, dir: join(ROOT, parent, entry.name), rel: `${parent}/${entry.name}`, json });
    }
  }
  return out.sort((a, b) => a.rel.localeCompare(b.rel));
}

/** The packages npm would publish (not `private`). */
export function publicPackages(): WorkspacePackage[] {
  return workspacePackages().filter((p) => p.json.private !== true);
}
