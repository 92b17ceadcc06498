/**
 * What the browser tests share: the system chromium (Debian's, never a downloaded one),
 * esbuild bundles of a page entry from source, a 127.0.0.1 http server and a throwaway
 * profile. Tests skip, saying why, when chromium is missing, unless REQUIRE_BROWSER=1.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const REQUIRE_BROWSER = process.env.REQUIRE_BROWSER === '1';

/** Why a browser test is skipped here, or null when it runs (chromium present, or required). */
export function browserSkipReason(test: string): string | null {
  if (existsSync(CHROMIUM) || REQUIRE_BROWSER) return null;
  return `${test}: ${CHROMIUM} is missing (install it with tooling/webgpu/setup-browser.sh; REQUIRE_BROWSER=1 makes this a failure)`;
}

/** The flags every run uses (no sandbox in containers, no background traffic). */
export const BASE_FLAGS = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** One ES module of `entry` and everything it imports, from the workspace's TypeScript sources. */
export async function bundlePage(entry: string): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@torchlet/source'],
    // Node-only branches (worker_threads, the Dawn package) are never taken in a browser.
    external: ['node:*', 'webgpu'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** An http server on a free port of 127.0.0.1. */
export function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` })));
}

/** Runs `fn` with a chromium context on a fresh profile; closes both (and `server`) afterwards. */
export async function withChromium(args: readonly string[], server: Server, fn: (context: BrowserContext) => Promise<void>): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (tooling/webgpu/setup-browser.sh installs it)`);
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'torchlet-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...args] });
    try {
      await fn(context);
    } finally {
      await context.close();
    }
  } finally {
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
