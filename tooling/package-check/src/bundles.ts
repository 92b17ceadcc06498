/**
 * Production bundles of consumer code for the browser: esbuild, and rolldown (Vite's
 * production bundler), minified, with no externals.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { build as rolldown } from 'rolldown';
import type { Consumer } from './consumer.js';

export type Bundler = 'esbuild' | 'rolldown';

export interface Bundle {
  name: string;
  bundler: Bundler;
  /** The minified ES module, or null when the bundler failed. */
  code: string | null;
  minified: number;
  gzip: number;
  errors: string[];
  warnings: string[];
  /** The biggest inputs (path from node_modules → output bytes), for a bundle over budget. */
  biggest: [string, number][];
}

const shorten = (path: string) => path.replace(/^.*node_modules\//, '');

function biggest(inputs: [string, number][]): [string, number][] {
  return inputs.map(([p, n]) => [shorten(p), n] as [string, number]).sort((a, b) => b[1] - a[1]).slice(0, 12);
}

/**
 * Bundles `source` (an ES module written into the consumer project) for the browser as an
 * ES module: esbuild's `--bundle --minify --platform=browser --format=esm`, or rolldown with
 * the same settings. Every import must resolve and bundle for a browser.
 */
export async function bundle(consumer: Consumer, name: string, source: string, bundler: Bundler): Promise<Bundle> {
  const entry = join(consumer.dir, `entry-${bundler}-${name.replace(/[^a-z0-9-]/gi, '_')}.mjs`);
  writeFileSync(entry, source);
  const out: Bundle = { name, bundler, code: null, minified: 0, gzip: 0, errors: [], warnings: [], biggest: [] };
  try {
    if (bundler === 'esbuild') {
      const result = await esbuild.build({
        entryPoints: [entry],
        absWorkingDir: consumer.dir,
        bundle: true,
        minify: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      out.warnings = result.warnings.map((w) => esbuild.formatMessagesSync([w], { kind: 'warning', color: false }).join('').trim());
      out.code = result.outputFiles[0]!.text;
      out.biggest = biggest(Object.entries(Object.values(result.metafile.outputs)[0]!.inputs).map(([p, v]) => [p, v.bytesInOutput]));
    } else {
      const result = await rolldown({
        input: entry,
        cwd: consumer.dir,
        platform: 'browser',
        write: false,
        output: { format: 'esm', minify: true },
        onLog: (level, log) => {
          if (level === 'warn') out.warnings.push(log.message);
        },
      });
      const chunk = result.output[0];
      out.code = chunk.code;
      out.biggest = biggest(Object.entries(chunk.modules).map(([p, m]) => [p, m.renderedLength]));
    }
    out.minified = Buffer.byteLength(out.code);
    out.gzip = gzipSync(out.code, { level: 9 }).byteLength;
  } catch (err) {
    const failure = err as esbuild.BuildFailure;
    out.errors = failure.errors ? esbuild.formatMessagesSync(failure.errors, { kind: 'error', color: false }).map((m) => m.trim()) : [String((err as Error).message ?? err)];
  }
  return out;
}
