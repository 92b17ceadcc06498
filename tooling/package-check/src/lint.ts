/** publint and attw on a packed tarball. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

export interface LintResult {
  /** Problems that fail the check. */
  problems: string[];
  /** Reported, not failing (publint suggestions). */
  notes: string[];
}

/** publint on the tarball's own files; errors and warnings fail, suggestions are notes. */
export async function runPublint(tarball: string): Promise<LintResult> {
  const bytes = readFileSync(tarball);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const { messages, pkg } = await publint({ pack: { tarball: ab }, level: 'suggestion' });
  const text = (m: (typeof messages)[number]) => `${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`;
  return {
    problems: messages.filter((m) => m.type !== 'suggestion').map(text),
    notes: messages.filter((m) => m.type === 'suggestion').map(text),
  };
}

const require = createRequire(import.meta.url);
const ATTW = join(dirname(require.resolve('@arethetypeswrong/cli/package.json')), 'dist/index.js');

/** Resolution kinds the esm-only profile leaves out (the packages are ESM only). */
const IGNORED = new Set(['node10', 'node16-cjs']);

interface AttwProblem {
  kind: string;
  entrypoint?: string;
  resolutionKind?: string;
}

/** `attw <tarball> --profile esm-only`: its exit status decides; its problems are listed. */
export function runAttw(tarball: string): Promise<LintResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ATTW, tarball, '--profile', 'esm-only', '--format', 'json', '--no-color'], { maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      let problems: string[];
      try {
        const json = JSON.parse(stdout) as { problems?: Record<string, AttwProblem[]> };
        problems = Object.values(json.problems ?? {})
          .flat()
          .filter((p) => !p.resolutionKind || !IGNORED.has(p.resolutionKind))
          .map((p) => `${p.kind} (${p.entrypoint ?? '?'}${p.resolutionKind ? `, ${p.resolutionKind}` : ''})`);
      } catch {
        problems = [`attw printed no JSON: ${(stderr || stdout).trim().slice(0, 500)}`];
      }
      if (err && problems.length === 0) problems.push(`attw exited with ${err.code ?? err.message}`);
      resolve({ problems, notes: [] });
    });
  });
}
