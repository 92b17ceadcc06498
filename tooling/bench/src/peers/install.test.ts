import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PEERS_DIR, lockSatisfied, peerVersions, type Lock } from './install.js';

const lock: Lock = {
  packages: {
    '': {},
    'node_modules/a': { version: '1.0.0' },
    'node_modules/a/node_modules/b': { version: '2.0.0' },
    'node_modules/fsevents': { version: '2.3.3', optional: true },
  },
};

describe('bench peers', () => {
  it('an installed tree satisfies the lockfile only with every pinned version present', () => {
    const installed: Lock = { packages: { 'node_modules/a': { version: '1.0.0' }, 'node_modules/a/node_modules/b': { version: '2.0.0' } } };
    expect(lockSatisfied(lock, installed)).toBe(true);
    expect(lockSatisfied(lock, { packages: { 'node_modules/a': { version: '1.0.0' } } })).toBe(false);
    expect(lockSatisfied(lock, { packages: { ...installed.packages, 'node_modules/a': { version: '1.0.1' } } })).toBe(false);
    expect(lockSatisfied(lock, { packages: {} })).toBe(false);
  });

  it('pins exact versions, and the lockfile matches package.json', () => {
    const versions = peerVersions();
    expect(Object.keys(versions).sort()).toEqual(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-node']);
    const committed = JSON.parse(readFileSync(join(PEERS_DIR, 'package-lock.json'), 'utf8')) as Lock & { packages: Record<string, { dependencies?: Record<string, string> }> };
    expect(committed.packages['']!.dependencies).toEqual(versions);
    for (const [name, version] of Object.entries(versions)) {
      expect(version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(committed.packages[`node_modules/${name}`]!.version).toBe(version);
    }
  });
});
