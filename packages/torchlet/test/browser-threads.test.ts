/**
 * Browser check of the CPU backend's threads: Web Workers over the shared Wasm heap in
 * headless Debian chromium, driven by playwright-core with the system browser. The page
 * (test/browser/threads-page.ts, bundled from source with esbuild) runs a 512×512 matmul and
 * a million-element elementwise op on one thread and on three, on the page's main thread,
 * which must never block. It is served four ways by a tiny Node http server:
 *
 * - cross-origin isolated (COOP `same-origin` + COEP `require-corp`): shared memory, two
 *   workers that take tasks, results equal to the single-threaded ones;
 * - not isolated: no `SharedArrayBuffer`, so a non-shared heap and one thread, same results;
 * - isolated, but a Content Security Policy with `worker-src 'none'`: the first Blob worker
 *   is refused (one CSP message from chromium), the second is then never tried, so one
 *   thread, same results, no page error;
 * - isolated, the same run inside a module worker: the backend's workers are nested ones,
 *   and the calling thread may block in `Atomics.wait` there.
 *
 * Skipped, saying why, when /usr/bin/chromium is missing (tooling/webgpu/setup-browser.sh
 * installs it), unless REQUIRE_BROWSER=1, where that is a failure.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { BASE_FLAGS, browserSkipReason, bundlePage, listen, withChromium } from './browser/harness.js';
import type { ThreadsResult } from './browser/threads-page.js';

const ENTRY = fileURLToPath(new URL('./browser/threads-page.ts', import.meta.url));

const THREADS = 3;
const ISOLATION: OutgoingHttpHeaders = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** Response headers of each variant, for the page and its script alike. */
const VARIANTS: Record<string, OutgoingHttpHeaders> = {
  isolated: ISOLATION,
  plain: {},
  csp: { ...ISOLATION, 'content-security-policy': "worker-src 'none'" },
  worker: ISOLATION,
};

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>torchlet cpu threads</title></head>
<body><script type="module" src="threads.js"></script></body></html>`;

/** Serves `/<variant>/` and `/<variant>/threads.js` with that variant's headers. */
function serve(script: string): ReturnType<typeof listen> {
  return listen((req, res) => {
    const [, variant, file] = /^\/(\w+)\/(.*)$/.exec(req.url ?? '') ?? [];
    const headers = variant === undefined ? undefined : VARIANTS[variant];
    if (headers === undefined) {
      res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
    } else if (file === '' || file === 'index.html') {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (file === 'threads.js') {
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else {
      res.writeHead(404).end();
    }
  });
}

const skip = browserSkipReason('browser threads test');
if (skip !== null) {
  it.skip(skip, () => {});
} else {
  it('headless chromium: Web Workers over shared Wasm memory when cross-origin isolated, one thread otherwise, same results', { timeout: 60_000 }, async () => {
    const { server, url } = await serve(await bundlePage(ENTRY));
    await withChromium(BASE_FLAGS, server, async (context) => {
      const results: Record<string, { r: ThreadsResult; errors: string[] }> = {};
      for (const variant of Object.keys(VARIANTS)) {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
        });
        await page.goto(url + variant + '/');
        await page.waitForFunction(() => typeof (globalThis as { runThreads?: unknown }).runThreads === 'function', null, { timeout: 30_000 });
        const r = await page.evaluate(
          ([inWorker, n]) => {
            const g = globalThis as unknown as { runThreads(n: number): Promise<ThreadsResult>; runThreadsInWorker(n: number): Promise<ThreadsResult> };
            return inWorker ? g.runThreadsInWorker(n) : g.runThreads(n);
          },
          [variant === 'worker', THREADS] as const,
        );
        await page.close();
        results[variant] = { r, errors };
        console.log(
          `[browser-threads] ${variant}: isolated ${r.crossOriginIsolated}, shared heap ${r.stats?.sharedMemory}, ready ${r.ready} in ${r.readyMs.toFixed(0)} ms ` +
            `(${r.ticksWhileWaiting} timer ticks meanwhile), worker tasks matmul ${r.matmulWorkerTasks} / elementwise ${r.elementwiseWorkerTasks}, ` +
            `matmul ${r.matmulMsSingle.toFixed(1)} ms (1 thread) ${r.matmulMsMulti.toFixed(1)} ms (${THREADS}); messages ${JSON.stringify(errors)}`,
        );
      }

      for (const [variant, { r }] of Object.entries(results)) {
        expect(r.kernels, variant).toBe('wasm');
        // Bit-identical: a thread computes whole output blocks exactly as the single thread does.
        expect(r.matmulMaxDiff, variant).toBe(0);
        expect(r.elementwiseMaxDiff, variant).toBe(0);
        expect(r.matmulRefError, variant).toBeLessThan(1e-5);
        expect(r.elementwiseRefError, variant).toBe(0);
        expect(r.stats?.threads, variant).toBe(THREADS);
        expect(r.context, variant).toBe(variant === 'worker' ? 'worker' : 'window');
      }

      for (const variant of ['isolated', 'worker']) {
        const { r, errors } = results[variant]!;
        expect(r.crossOriginIsolated, variant).toBe(true);
        expect(r.sharedArrayBuffer, variant).toBe(true);
        expect(r.ready, variant).toBe(true);
        expect(r.stats, variant).toMatchObject({ sharedMemory: true, usableThreads: THREADS, workers: THREADS - 1, readyWorkers: THREADS - 1, failedWorkers: 0 });
        // the job was cut into tasks for the pool; which thread claimed them is the scheduler's
        // business (backend-cpu's thread-pool test shows deterministically that workers take tasks)
        expect(r.matmulTasks, variant).toBeGreaterThan(1);
        expect(errors, variant).toEqual([]);
      }

      const plain = results.plain!;
      expect(plain.r.crossOriginIsolated).toBe(false);
      expect(plain.r.sharedArrayBuffer).toBe(false);
      expect(plain.r.stats).toMatchObject({ sharedMemory: false, usableThreads: 1, workers: 0, workerTasks: 0 });
      expect(plain.r.ready).toBe(false);
      expect(plain.errors).toEqual([]);

      const csp = results.csp!;
      expect(csp.r.crossOriginIsolated).toBe(true);
      expect(csp.r.stats).toMatchObject({ sharedMemory: true, usableThreads: 1, readyWorkers: 0, failedWorkers: THREADS - 1, workerTasks: 0 });
      expect(csp.r.ready).toBe(false);
      // chromium reports the refused worker itself, once (the other worker is never tried); nothing else
      expect(csp.errors).toHaveLength(1);
      expect(csp.errors[0]).toMatch(/Content Security Policy/);
    });
  });
}
