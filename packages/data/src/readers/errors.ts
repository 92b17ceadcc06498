import { ValueError } from '@torchlet/tensor';

/** A malformed record in a text file: names the reader and the (1-based) line. */
export class DataFormatError extends ValueError {
  /** 1-based line number where the bad record starts. */
  readonly line: number;

  constructor(reader: string, line: number, detail: string) {
    super(`${reader}: line ${line}: ${detail}`);
    this.name = 'DataFormatError';
    this.line = line;
  }
}
