/**
 * `pnpm check:packages`: the packages as a user gets them from npm. Builds, packs every public
 * package, lints the tarballs (files, publint, attw), installs them into a fresh project
 * outside the repository, typechecks a strict consumer (the workspace's TypeScript and the
 * oldest one claimed), runs selective imports in Node and, bundled for the browser by esbuild
 * and rolldown, in headless chromium, and checks bundle budgets.
 * Exits non-zero on any problem. `--no-build` skips the build; `--keep` keeps the temp dirs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runInChromium, type PageRun } from './browser.js';
import { bundle, type Bundle, type Bundler } from './bundles.js';
import { MIN_TYPESCRIPT, MODULE_MODES, TYPESCRIPTS, createConsumer, installProblems, runInNode, typecheck, writeTypecheckProject } from './consumer.js';
import { runAttw, runPublint, type LintResult } from './lint.js';
import { fileProblems, manifestProblems, pack, type Packed } from './tarball.js';
import { ROOT, publicPackages } from './workspace.js';

const SCRIPTS = { 'selective (tensor + backend-cpu)': 'selective.mjs', 'umbrella MLP (torchlet)': 'mlp.mjs' } as const;
type Script = keyof typeof SCRIPTS;
const BUNDLERS: Bundler[] = ['esbuild', 'rolldown'];

/**
 * Gzip budgets in bytes (1 KB = 1000 bytes). esbuild does not tree-shake a namespace inside
 * a namespace (`torch.nn.Linear`, `nn.functional.mseLoss`): all of nn and optim land in its
 * umbrella bundle, about 44 KB gzip more than rolldown (Vite's bundler), which does, and its
 * selective bundle is about 5 KB larger too. The 70/110 KB budgets bind rolldown's bundles;
 * esbuild's only guard against growth beyond that.
 */
export const BUDGETS: Record<Script, Record<Bundler, number>> = {
  'selective (tensor + backend-cpu)': { esbuild: 72_000, rolldown: 70_000 },
  'umbrella MLP (torchlet)': { esbuild: 135_000, rolldown: 110_000 },
};

const args = new Set(process.argv.slice(2));
const started = Date.now();
const failures: string[] = [];
const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;
const secs = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;

function section(title: string): void {
  console.log(`\n==> ${title} [${secs()}]`);
}

function report(what: string, problems: readonly string[], notes: readonly string[] = []): string {
  for (const p of problems) console.log(`  ✗ ${what}: ${p}`);
  for (const n of notes) console.log(`  · ${what}: ${n}`);
  if (problems.length) failures.push(`${what}: ${problems.length} problem(s)`);
  return problems.length ? `✗ ${problems.length}` : 'ok';
}

/** Runs `jobs` with at most `limit` in flight (the machines this runs on have few cores). */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => `  ${r.map((cell, c) => pad(cell, widths[c]!)).join('  ')}`.trimEnd()).join('\n');
}

async function main(): Promise<void> {
  if (!args.has('--no-build')) {
    section('build');
    execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'inherit' });
  }

  section('pack (pnpm pack, every public package)');
  const packDir = mkdtempSync(join(tmpdir(), 'torchlet-pack-'));
  const packed: Packed[] = publicPackages().map((p) => pack(p, packDir));
  for (const p of packed) console.log(`  ${p.pkg.name}: ${basename(p.tarball)}, ${p.files.length} files`);

  section('tarball contents and package.json, publint, attw --profile esm-only');
  const files = packed.map((p) => report(`${p.pkg.name} files`, fileProblems(p.files)));
  const manifests = packed.map((p) => report(`${p.pkg.name} package.json`, manifestProblems(p.manifest, p.pkg.rel)));
  const publints: string[] = [];
  for (const p of packed) {
    const r = await runPublint(p.tarball);
    publints.push(report(`${p.pkg.name} publint`, r.problems, r.notes));
  }
  const attws = (await pool(packed.map((p) => () => runAttw(p.tarball)), 2)).map((r: LintResult, i) => report(`${packed[i]!.pkg.name} attw`, r.problems));

  section('fresh consumer project (npm install of the tarballs)');
  const consumer = createConsumer(packed);
  console.log(`  ${consumer.dir}`);
  const install = report('consumer install', installProblems(consumer, packed));

  section('strict TypeScript consumer (strict, skipLibCheck: false, every public entry point)');
  writeTypecheckProject(consumer, packed);
  const modes = Object.keys(MODULE_MODES) as (keyof typeof MODULE_MODES)[];
  const tsJobs = TYPESCRIPTS.flatMap((ts) => modes.map((mode) => async () => ({ ts: ts.label, mode, errors: await typecheck(consumer, ts.tsc, mode) })));
  const tsResults = await pool(tsJobs, 2);
  const tsCell = new Map(tsResults.map((r) => [`${r.ts}|${r.mode}`, report(`typecheck ${r.ts} ${r.mode}`, r.errors.slice(0, 40).concat(r.errors.length > 40 ? [`… ${r.errors.length - 40} more`] : []))]));

  section('selective imports in Node (the installed packages, unbundled)');
  const nodeRuns = new Map<string, string>();
  for (const [name, script] of Object.entries(SCRIPTS)) {
    try {
      const r = await runInNode(consumer, script);
      console.log(`  ${name}: ${JSON.stringify(r)}`);
      nodeRuns.set(name, 'ok');
    } catch (err) {
      nodeRuns.set(name, report(`Node ${name}`, [(err as Error).message]));
    }
  }

  section('browser bundles: minified ES modules, no externals (esbuild --bundle --minify --platform=browser --format=esm; rolldown alike)');
  const bundles: Bundle[] = [];
  const label = (b: Bundle) => `${b.name} [${b.bundler}]`;
  for (const [name, script] of Object.entries(SCRIPTS)) {
    for (const bundler of BUNDLERS) bundles.push(await bundle(consumer, name, `export { run } from './${script}';\n`, bundler));
  }
  for (const p of packed) bundles.push(await bundle(consumer, `${p.pkg.name} alone`, `export * from '${p.pkg.name}';\n`, 'esbuild'));
  for (const b of bundles) {
    report(`bundle ${label(b)}`, b.errors, b.warnings);
    if (b.code) console.log(`  ${label(b)}: ${kb(b.minified)} minified, ${kb(b.gzip)} gzip`);
  }

  section('bundles in headless chromium');
  const modules = new Map(bundles.filter((b) => b.code !== null).map((b) => [label(b), b.code!]));
  let pageRuns = new Map<string, PageRun>();
  try {
    pageRuns = await runInChromium(modules);
  } catch (err) {
    report('chromium', [(err as Error).message]);
  }
  for (const [name, run] of pageRuns) {
    if (run.error) report(`chromium ${name}`, [run.error]);
    else console.log(`  ${name}: ${JSON.stringify(run.result)}`);
  }

  section('bundle budgets (gzip)');
  const budgetCell = new Map<string, string>();
  for (const b of bundles) {
    const limit = BUDGETS[b.name as Script]?.[b.bundler];
    if (limit === undefined || !b.code) continue;
    const over = b.gzip > limit;
    budgetCell.set(label(b), `${over ? '✗' : 'ok'} ≤ ${kb(limit)}`);
    report(`budget ${label(b)}`, over ? [`${kb(b.gzip)} gzip > ${kb(limit)}`] : []);
    if (over) for (const [path, bytes] of b.biggest) console.log(`      ${pad(kb(bytes), 10)} ${path}`);
  }

  if (!args.has('--keep')) {
    rmSync(packDir, { recursive: true, force: true });
    rmSync(consumer.dir, { recursive: true, force: true });
  }

  const pageCell = (name: string) => {
    const r = pageRuns.get(name);
    return r ? (r.error ? '✗' : 'ok') : '—';
  };
  const byLabel = new Map(bundles.map((b) => [label(b), b]));
  const sizeCell = (key: string) => {
    const b = byLabel.get(key);
    return b?.code ? `${kb(b.minified)} / ${kb(b.gzip)}` : '✗ failed';
  };
  console.log(`\n==> summary [${secs()}]`);
  console.log(table([
    ['package', 'files', 'package.json', 'publint', 'attw', 'esbuild alone (min / gzip)', 'chromium'],
    ...packed.map((p, i) => [p.pkg.name, files[i]!, manifests[i]!, publints[i]!, attws[i]!, sizeCell(`${p.pkg.name} alone [esbuild]`), pageCell(`${p.pkg.name} alone [esbuild]`)]),
  ]));
  console.log(`\n  consumer install (npm, tarballs only): ${install}`);
  console.log(`  minimum TypeScript: ${MIN_TYPESCRIPT} (lib esnext.disposable, for [Symbol.dispose])`);
  console.log(table([
    ['strict consumer typecheck', ...modes],
    ...TYPESCRIPTS.map((ts) => [ts.label, ...modes.map((m) => tsCell.get(`${ts.label}|${m}`)!)]),
  ]));
  console.log('');
  console.log(table([
    ['script', 'Node', 'bundler', 'chromium', 'min / gzip', 'gzip budget'],
    ...Object.keys(SCRIPTS).flatMap((name) =>
      BUNDLERS.map((bundler) => {
        const key = `${name} [${bundler}]`;
        return [name, nodeRuns.get(name)!, bundler, pageCell(key), sizeCell(key), budgetCell.get(key) ?? '—'];
      }),
    ),
  ]));
  if (failures.length) {
    console.log(`\nPACKAGE CHECK FAILED (${failures.length}):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    console.log('\npackage check passed');
  }
}

await main();
