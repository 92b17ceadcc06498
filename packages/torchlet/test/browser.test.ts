/**
 * Browser check: Torchlet on WebGPU in headless Debian chromium (SwiftShader's Vulkan, no GPU
 * needed), driven by playwright-core with the system browser (never a downloaded one). The
 * library is bundled from source with esbuild and served with its page from 127.0.0.1 by a
 * tiny Node http server; the page creates tensors, runs a matmul and a few training steps of
 * a tiny MLP on WebGPU and on the CPU, and reads the results back.
 *
 * Skipped, saying why, when /usr/bin/chromium is missing (tooling/webgpu/setup-browser.sh
 * installs it), unless REQUIRE_BROWSER=1, where that is a failure.
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { BASE_FLAGS, browserSkipReason, bundlePage, listen, withChromium } from './browser/harness.js';

const ENTRY = fileURLToPath(new URL('./browser/smoke-page.ts', import.meta.url));

/** The flags that give headless chromium a WebGPU adapter on SwiftShader. */
const FLAGS = [
  ...BASE_FLAGS,
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--use-vulkan=swiftshader',
  '--enable-features=Vulkan',
  '--disable-gpu-sandbox',
];

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>torchlet webgpu smoke</title></head>
<body><script type="module" src="/smoke.js"></script></body></html>`;

function serve(script: string): ReturnType<typeof listen> {
  return listen((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (req.url === '/smoke.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
    } else {
      res.writeHead(404).end();
    }
  });
}

const skip = browserSkipReason('browser smoke test');
if (skip !== null) {
  it.skip(skip, () => {});
} else {
  it('headless chromium: tensors, matmul and a tiny MLP training on WebGPU, read back on the page', { timeout: 120_000 }, async () => {
    const { server, url } = await serve(await bundlePage(ENTRY));
    const errors: string[] = [];
    await withChromium(FLAGS, server, async (context) => {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(url);
      await page.waitForFunction(() => typeof (globalThis as { runSmoke?: unknown }).runSmoke === 'function', null, { timeout: 30_000 });
      const r = await page.evaluate(() => (globalThis as unknown as { runSmoke(): Promise<any> }).runSmoke());
      console.log(`[browser] chromium ${context.browser()?.version() ?? ''} adapter ${JSON.stringify(r.adapter)}; losses webgpu ${r.lossesWebgpu.map((l: number) => l.toFixed(4)).join(' ')}`);
      expect(r.hasNavigatorGpu).toBe(true);
      expect(r.device).toBe('webgpu');
      expect(r.matmul).toEqual([4, 5, 10, 11]);
      expect(r.lossesWebgpu).toHaveLength(8);
      r.lossesWebgpu.forEach((l: number, i: number) => expect(Math.abs(l - r.lossesCpu[i]), `step ${i}: webgpu ${l}, cpu ${r.lossesCpu[i]}`).toBeLessThanOrEqual(1e-4 * Math.abs(r.lossesCpu[i])));
      expect(r.lossesWebgpu[7]).toBeLessThan(r.lossesWebgpu[0]);
      expect(r.readsDuringSteps).toBe(0);
      expect(r.liveBuffersAfter).toBe(r.liveBuffersBefore);
      expect(errors).toEqual([]);
    });
  });
}
