/**
 * The example apps' command-line conventions in one place: flags parsed strictly with
 * `node:util`'s `parseArgs` (an unknown flag is an error), flag values checked and refused in
 * one line that names the flag, and exit codes 0 (done), 1 (a file, data or training problem),
 * 2 (a usage error) — never a stack trace for a user's mistake.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import * as torch from 'torchlet';

/** A mistake in the command line: exit code 2, with a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A problem with a file, the data or the run: exit code 1. */
export class AppError extends Error {
  override name = 'AppError';
}

export type FlagValues = Record<string, string | boolean | undefined>;

/** The flags every training command takes. */
export const TRAINING_OPTIONS = {
  lr: { type: 'string' },
  batch: { type: 'string' },
  seed: { type: 'string' },
  device: { type: 'string' },
  output: { type: 'string' },
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

/** The parsed values of an options table: strings, or booleans for boolean flags. */
export type FlagsOf<O extends Record<string, { type: 'string' | 'boolean' }>> = { [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean };

/** A progress bar that `--progress` / `--no-progress` force on or off (default: only on a terminal). */
export function progressBar(v: FlagValues, options: Omit<torch.utils.data.ProgressBarOptions, 'enabled'>): torch.utils.data.ProgressBar {
  const enabled = v['no-progress'] ? false : v.progress ? true : undefined;
  return new torch.utils.data.ProgressBar({ ...options, ...(enabled === undefined ? {} : { enabled }) });
}

/** A command that takes no positional arguments. */
export function withoutPositionals<V extends FlagValues>(name: string, run: (values: V) => Promise<void>): (values: V, positionals: string[]) => Promise<void> {
  return (values, positionals) => {
    if (positionals.length) throw new UsageError(`${name} takes no positional arguments (got '${positionals[0]}')`);
    return run(values);
  };
}

/** A whole number ≥ `min` from `--name`, or `fallback` when the flag is absent. */
export function int(v: FlagValues, name: string, fallback: number, min = 1): number {
  const raw = v[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\+?\d+$/.test(raw.trim()) || Number(raw) < min) throw new UsageError(`--${name}: expected a whole number ≥ ${min}, got '${String(raw)}'`);
  return Number(raw);
}

/** A finite number from `--name` that `ok` accepts (`what` says which in the message). */
export function real(v: FlagValues, name: string, fallback: number, ok: (x: number) => boolean, what: string): number {
  const raw = v[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new UsageError(`--${name}: expected ${what}, got '${String(raw)}'`);
  return n;
}

/** One of `choices` from `--name`. */
export function choice<T extends string>(v: FlagValues, name: string, choices: readonly T[], fallback: T): T {
  const raw = v[name];
  if (raw === undefined) return fallback;
  if (!choices.includes(raw as T)) throw new UsageError(`--${name}: expected ${choices.join(' or ')}, got '${String(raw)}'`);
  return raw as T;
}

/** Registers WebGPU for `--device webgpu` (Dawn through the `webgpu` package in Node); says clearly when there is no adapter. */
export async function openDevice(device: 'cpu' | 'webgpu'): Promise<void> {
  if (device === 'cpu') return;
  try {
    await torch.webgpu.init();
  } catch (e) {
    throw new AppError(`--device webgpu: no WebGPU adapter here (${(e as Error).message}); use --device cpu`);
  }
}

export interface Cli<V extends FlagValues> {
  /** The program's name, the prefix of every error line. */
  name: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Command name → what it does with the flags and positional arguments. */
  commands: Record<string, (values: V, positionals: string[]) => Promise<void>>;
  /** Errors (besides UsageError and AppError) that are the user's files or data: exit 1, one line. */
  expected?: readonly (abstract new (...args: never[]) => Error)[];
}

/** Runs a command line; returns the exit code. `out`/`err` receive whole lines. */
export async function runCli<V extends FlagValues>(cli: Cli<V>, argv: readonly string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  try {
    // `pnpm start -- train …` passes the separator through
    const [command, ...rest] = argv[0] === '--' ? argv.slice(1) : argv;
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      out(cli.usage);
      return command === undefined ? 2 : 0;
    }
    let parsed: { values: V; positionals: string[] };
    try {
      parsed = parseArgs({ args: [...rest], options: { ...cli.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as { values: V; positionals: string[] };
    } catch (e) {
      throw new UsageError((e as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, ''));
    }
    if (parsed.values.help) {
      out(cli.usage);
      return 0;
    }
    const run = Object.hasOwn(cli.commands, command) ? cli.commands[command] : undefined;
    if (!run) throw new UsageError(`unknown command '${command}' (${Object.keys(cli.commands).join(', ')})`);
    await run(parsed.values, parsed.positionals);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${cli.name}: ${e.message} (see --help)`);
      return 2;
    }
    if (e instanceof AppError || e instanceof RangeError || (cli.expected ?? []).some((c) => e instanceof c)) {
      err(`${cli.name}: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}

/** Whether this module was started as the program (`node cli.js` / `pnpm start`), not imported by a test. */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && url === pathToFileURL(entry).href;
}
