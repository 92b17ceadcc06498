/**
 * The READMEs' examples are programs, and this file runs them: every ```ts block of the root
 * README and of each published package's README, against the workspace sources, as an ES
 * module (top-level `await` works). A `console.log(…)` line with a trailing comment states
 * what it prints (`console.log(t.sum()); // tensor(10.)`), and the block must print exactly
 * those lines, in order.
 *
 * Fence info strings: ```ts runs; ```ts webgpu runs where a WebGPU adapter exists (skipped
 * with the reason otherwise, a failure under REQUIRE_WEBGPU=1, as the other WebGPU suites);
 * ```ts fragment is shown, not run (configuration files, browser-only code, excerpts).
 *
 * It also checks what every published package folder must ship: a README that says how to
 * install the package, and the repository's LICENSE.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { getBackend, hasBackend, unregisterBackend } from '@torchlet/backend';
import { openTestBackend } from '@torchlet/backend-webgpu/testing';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface WorkspacePackage {
  name: string;
  dir: string;
  exports: Record<string, Record<string, string>>;
}

/** The published packages (packages/*, not private), by name. */
const packages: WorkspacePackage[] = readdirSync(join(repo, 'packages'))
  .map((d) => join(repo, 'packages', d))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ json }) => !json.private)
  .map(({ dir, json }) => ({ name: json.name as string, dir, exports: json.exports }));

/** A bare specifier of a workspace package → its source file (the `@torchlet/source` export condition). */
function resolveSpecifier(spec: string): string | null {
  for (const pkg of packages) {
    if (spec !== pkg.name && !spec.startsWith(`${pkg.name}/`)) continue;
    const subpath = spec === pkg.name ? '.' : `.${spec.slice(pkg.name.length)}`;
    const source = pkg.exports[subpath]?.['@torchlet/source'];
    if (!source) throw new Error(`README imports '${spec}', which ${pkg.name} does not export`);
    return join(pkg.dir, source);
  }
  return null;
}

interface Block {
  readme: string;
  /** 1-based line of the opening fence. */
  line: number;
  mode: 'run' | 'webgpu';
  code: string;
  /** What the block's console.log lines print, in order. */
  expected: string[];
}

const FENCE = /^```(\S*)\s*(.*)$/;
/** A single-line `console.log(…)` statement with its expected output as a trailing comment. */
const LOG_WITH_OUTPUT = /^\s*console\.log\(.*\);?\s*\/\/ (.*)$/;

function blocksOf(readme: string): Block[] {
  const lines = readFileSync(readme, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    const [, lang, info] = open;
    if (lang !== 'ts') continue;
    if (info === 'fragment') continue;
    if (info !== '' && info !== 'webgpu') throw new Error(`${readme}:${start + 1}: unknown fence info '${info}' (fragment | webgpu)`);
    const expected = body.map((l) => LOG_WITH_OUTPUT.exec(l)?.[1]).filter((s): s is string => s !== undefined);
    blocks.push({ readme, line: start + 1, mode: info === 'webgpu' ? 'webgpu' : 'run', code: body.join('\n'), expected });
  }
  return blocks;
}

const readmes = [join(repo, 'README.md'), ...packages.map((p) => join(p.dir, 'README.md')).filter((f) => existsSync(f))];
const scratch = mkdtempSync(join(tmpdir(), 'torchlet-readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes the block as a module whose workspace imports point at the sources, imports it, returns what it logged. */
async function run(block: Block, name: string): Promise<string[]> {
  const code = block.code.replace(/(\bfrom\s+|\bimport\s+)(['"])([^'"]+)\2/g, (all, head: string, quote: string, spec: string) => {
    const file = resolveSpecifier(spec);
    return file ? `${head}${quote}${file}${quote}` : all;
  });
  const file = join(scratch, `${name}.ts`);
  writeFileSync(file, `${code}\nexport {};\n`);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(format(...args)));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    log.mockRestore();
  }
  return printed;
}

describe('README examples run', () => {
  for (const readme of readmes) {
    const label = readme.slice(repo.length + 1);
    const blocks = blocksOf(readme);
    describe(label, () => {
      blocks.forEach((block, n) => {
        it(`the example at line ${block.line}`, async (ctx) => {
          if (block.mode === 'webgpu') {
            // Probe for an adapter first; the example then opens its own device.
            const probe = await openTestBackend();
            if (!probe.backend) return ctx.skip(probe.reason);
            probe.backend.destroy();
          }
          const before = hasBackend('webgpu') ? getBackend('webgpu') : null;
          try {
            const printed = await run(block, `${label.replace(/[^a-z0-9]+/gi, '-')}-${n}`);
            if (block.expected.length > 0) expect(printed).toEqual(block.expected);
          } finally {
            // An example that registered a WebGPU device releases it for the next one.
            if (hasBackend('webgpu') && getBackend('webgpu') !== before) {
              const backend = getBackend('webgpu');
              unregisterBackend('webgpu');
              backend.destroy?.();
            }
          }
        }, 60_000);
      });
    });
  }
});

describe('published package folders', () => {
  const license = readFileSync(join(repo, 'LICENSE'), 'utf8');
  it('the root LICENSE is MIT', () => {
    expect(license.split('\n')[0]).toBe('MIT License');
  });
  for (const pkg of packages) {
    it(`${pkg.name} ships the LICENSE and a README with its install command and a runnable example`, () => {
      expect(readFileSync(join(pkg.dir, 'LICENSE'), 'utf8')).toBe(license);
      const readme = join(pkg.dir, 'README.md');
      expect(existsSync(readme), `${readme} is missing`).toBe(true);
      expect(readFileSync(readme, 'utf8')).toContain(`npm install ${pkg.name}`);
      expect(blocksOf(readme).length).toBeGreaterThan(0);
    });
  }
});
