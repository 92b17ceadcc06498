import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { publicPackages, syncVersions, versionFile } from '../versions.mjs';

const packages = publicPackages();

describe('published package versions', () => {
  it('finds every published package (and no private one)', () => {
    const names = packages.map((p) => p.name);
    expect(names).toContain('torchlet');
    expect(names).toContain('@torchlet/backend');
    expect(names.every((n) => n === 'torchlet' || n.startsWith('@torchlet/'))).toBe(true);
  });

  it.each(packages)('$name: src/version.ts and the package export equal package.json', async ({ dir, version }) => {
    const generated = (await import(pathToFileURL(versionFile(dir)).href)) as { version: string };
    expect(generated.version).toBe(version);
    const index = (await import(pathToFileURL(join(dir, 'src', 'index.ts')).href)) as { version?: string };
    expect(index.version).toBe(version);
  });

  // Dependents use `workspace:^`, published as `^x.y.z`; for 0.0.x that range holds one version
  // only, so a patch to one package would force a bump of every dependent.
  it.each(packages)('$name is unreleased (0.0.0) or at 0.1.0 or later', ({ version }) => {
    expect(version === '0.0.0' || !version.startsWith('0.0.')).toBe(true);
  });
});

describe('syncVersions', () => {
  const root = mkdtempSync(join(tmpdir(), 'torchlet-versions-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const pkg = (dir: string, json: object): void => {
    mkdirSync(join(root, 'packages', dir, 'src'), { recursive: true });
    writeFileSync(join(root, 'packages', dir, 'package.json'), JSON.stringify(json));
  };

  it('writes version.ts for public packages only, and --check then finds nothing stale', async () => {
    pkg('a', { name: '@scope/a', version: '1.2.3' });
    pkg('b', { name: '@scope/b', version: '4.5.6', private: true });
    expect(syncVersions({ root, check: true })).toEqual([join('packages', 'a', 'src', 'version.ts')]);
    expect(syncVersions({ root })).toEqual([join('packages', 'a', 'src', 'version.ts')]);
    expect(syncVersions({ root, check: true })).toEqual([]);
    const a = (await import(pathToFileURL(join(root, 'packages', 'a', 'src', 'version.ts')).href)) as { version: string };
    expect(a.version).toBe('1.2.3');

    pkg('a', { name: '@scope/a', version: '1.3.0' });
    expect(syncVersions({ root, check: true })).toEqual([join('packages', 'a', 'src', 'version.ts')]);
  });
});
