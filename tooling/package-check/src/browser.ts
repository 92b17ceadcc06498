/** Runs bundles in headless Debian chromium (never a downloaded browser), served from 127.0.0.1. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface PageRun {
  /** What the module's `run()` returned, or the number of its exports when it has none. */
  result?: unknown;
  error?: string;
}

/**
 * Loads each module (name → code) into a fresh page and awaits its `run()` export if it has
 * one. A thrown error, a page error or a console error fails that module.
 */
export async function runInChromium(modules: ReadonlyMap<string, string>): Promise<Map<string, PageRun>> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (tooling/webgpu/setup-browser.sh installs it)`);
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1)).replace(/\.js$/, '');
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><meta charset="utf-8"><title>torchlet package check</title>');
    else if (req.url === '/favicon.ico') res.writeHead(204).end();
    else if (modules.has(name)) res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(modules.get(name));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'torchlet-check-chromium-'));
  const results = new Map<string, PageRun>();
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
    try {
      for (const name of modules.keys()) {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(`console error: ${m.text()}`);
        });
        const run: PageRun = {};
        try {
          await page.goto(url);
          run.result = await page.evaluate(async (src) => {
            const m = await import(src);
            return typeof m.run === 'function' ? await m.run() : { exports: Object.keys(m).length };
          }, `/${encodeURIComponent(name)}.js`);
        } catch (err) {
          errors.unshift((err as Error).message.split('\n')[0]!);
        }
        if (errors.length) run.error = errors.join('; ');
        results.set(name, run);
        await page.close();
      }
    } finally {
      await context.close();
    }
  } finally {
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return results;
}
