/**
 * The JavaScript peers (TensorFlow.js, onnxruntime-node: about 500 MB) are not part of the
 * workspace install, which `pnpm test` and `pnpm start` do not need them for. They are pinned in
 * tooling/bench/peers (package.json + package-lock.json) and installed there with `npm ci` the
 * first time a workload asks for one; a lockfile change reinstalls them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = fileURLToPath(new URL('../../peers/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SHOWN = relative(ROOT, PEERS_DIR).replaceAll('\\', '/');
const LOCK = join(PEERS_DIR, 'package-lock.json');
// npm's record of what node_modules holds (written by `npm ci`, also when run by hand).
const INSTALLED = join(PEERS_DIR, 'node_modules', '.package-lock.json');

export type Lock = { packages: Record<string, { version?: string; optional?: boolean }> };
const readLock = (file: string): Lock => JSON.parse(readFileSync(file, 'utf8')) as Lock;

/** The pinned peer versions (tooling/bench/peers/package.json). */
export function peerVersions(): Readonly<Record<string, string>> {
  return (JSON.parse(readFileSync(join(PEERS_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
}

/** Whether an installed tree (npm's node_modules/.package-lock.json) has every package `lock` pins, at its version. */
export function lockSatisfied(lock: Lock, installed: Lock): boolean {
  // Optional packages (other platforms' binaries) may be absent.
  return Object.entries(lock.packages).every(([path, p]) => path === '' || p.optional === true || installed.packages[path]?.version === p.version);
}

/** Whether the peers' node_modules holds what their lockfile pins. */
export function peersInstalled(): boolean {
  return existsSync(INSTALLED) && lockSatisfied(readLock(LOCK), readLock(INSTALLED));
}

/** How to install them by hand, from the repository root. */
export const INSTALL_HINT = `npm ci --ignore-scripts --prefix ${SHOWN}`;

let installed: true | string | undefined;

/**
 * Installs the peers if needed (once per process). Returns null when they are ready, or why not.
 * Install scripts stay off: onnxruntime-node's downloads GPU providers the CPU runs do not use.
 */
export function ensurePeers(log: (m: string) => void = (m) => void process.stderr.write(`${m}\n`)): string | null {
  if (installed === undefined) {
    if (peersInstalled()) {
      installed = true;
    } else {
      log(`bench: installing the JavaScript peers (${Object.entries(peerVersions()).map(([n, v]) => `${n}@${v}`).join(', ')}) into ${SHOWN}: npm ci (first run only) …`);
      const r = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
        cwd: PEERS_DIR,
        // npm's output goes to stderr: stdout may be the bench's --json.
        stdio: ['ignore', 2, 2],
        shell: process.platform === 'win32',
      });
      if (r.status === 0 && peersInstalled()) {
        installed = true;
      } else {
        installed = `npm ci failed (${r.error?.message ?? `exit status ${r.status}`}); install them with: ${INSTALL_HINT}`;
        log(`bench: the JavaScript peers are not available: ${installed}`);
      }
    }
  }
  return installed === true ? null : installed;
}

/** `require` for the peers' node_modules: the module, or throws with how to install it. */
export function requirePeer<T>(name: string): T {
  const why = ensurePeers();
  if (why) throw new Error(`${name} is not installed: ${why}`);
  return createRequire(join(PEERS_DIR, 'package.json'))(name) as T;
}
