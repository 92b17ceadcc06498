/** Reading a univariate series: the built-in AirPassengers file or a column of any CSV. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as torch from 'torchlet';

export interface Series {
  /** What the series is, for messages and plots. */
  name: string;
  values: number[];
  /** One label per value (dates, or 1…N when the file has no time column). */
  times: string[];
  /** Period of the seasonality, when known (12 for monthly data). */
  season?: number;
}

export class InputError extends Error {
  override name = 'InputError';
}

const EXAMPLES = {
  'air-passengers': { file: '../data/air-passengers.csv', season: 12, name: 'AirPassengers (thousands, monthly 1949–1960)' },
} as const;
export type ExampleName = keyof typeof EXAMPLES;
export const EXAMPLE_NAMES = Object.keys(EXAMPLES) as ExampleName[];

/** A built-in series by name. */
export async function loadExample(name: string): Promise<Series> {
  const ex = EXAMPLES[name as ExampleName];
  if (!ex) throw new InputError(`--example: unknown example '${name}' (known: ${EXAMPLE_NAMES.join(', ')})`);
  const text = await readFile(fileURLToPath(new URL(ex.file, import.meta.url)), 'utf8');
  const rows = torch.utils.data.parseCsv(text, { cast: true });
  return {
    name: ex.name,
    values: rows.map((r) => r.value as number),
    times: rows.map((r) => `${r.year}-${String(r.period).padStart(2, '0')}`),
    season: ex.season,
  };
}

/** Column `column` of a CSV file (header row required); `timeColumn` labels the steps. */
export async function loadCsvSeries(path: string, column: string, timeColumn?: string): Promise<Series> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError(`--csv: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let rows: Record<string, torch.utils.data.CsvValue>[];
  try {
    rows = torch.utils.data.parseCsv(text, { cast: true });
  } catch (e) {
    throw new InputError(`--csv: ${path} is not valid CSV: ${(e as Error).message}`);
  }
  if (rows.length === 0) throw new InputError(`--csv: ${path} has no data rows`);
  const columns = Object.keys(rows[0]!);
  for (const [flag, name] of [['--column', column], ['--time-column', timeColumn]] as const) {
    if (name !== undefined && !columns.includes(name)) {
      throw new InputError(`${flag}: ${path} has no column '${name}' (columns: ${columns.join(', ')})`);
    }
  }
  const values = rows.map((r, i) => {
    const v = r[column];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputError(`--column: ${path} line ${i + 2}: '${String(v ?? '')}' in column '${column}' is not a finite number`);
    }
    return v;
  });
  const times = rows.map((r, i) => (timeColumn === undefined ? String(i + 1) : String(r[timeColumn])));
  return { name: `${column} (${path})`, values, times };
}
