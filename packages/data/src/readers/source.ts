/**
 * Text sources for the streaming readers: a file path (Node), a web `ReadableStream`
 * (`(await fetch(url)).body`), a Node stream, or any (async) iterable of strings / bytes.
 * Bytes are decoded as UTF-8 across chunk boundaries; a leading BOM is dropped.
 */

/** Where a reader's text comes from. A `string` or `URL` is a file path (Node only). */
export type TextSource =
  | string
  | URL
  | ReadableStream<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>;

async function* fromReadableStream(stream: ReadableStream<Uint8Array | string>): AsyncGenerator<Uint8Array | string> {
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

async function* fromFile(path: string | URL, highWaterMark: number): AsyncGenerator<Uint8Array | string> {
  // process.getBuiltinModule, not import('node:fs'): a browser bundle then has no Node import to resolve.
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = p?.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
  if (!fs) throw new TypeError('file paths need Node.js; in a browser pass a ReadableStream, e.g. (await fetch(url)).body');
  yield* fs.createReadStream(path, { highWaterMark }) as AsyncIterable<Uint8Array>;
}

/** How a file source is read. */
export interface ChunkOptions {
  /** Bytes per read from a file (default 64 KiB). */
  highWaterMark?: number;
}

/**
 * The source's text, chunk by chunk, decoded as UTF-8, keeping a leading BOM: the readers'
 * parsers drop it themselves, so it is dropped once.
 */
export async function* rawTextChunks(source: TextSource, options: ChunkOptions = {}): AsyncGenerator<string> {
  let raw: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
  if (typeof source === 'string' || source instanceof URL) raw = fromFile(source, options.highWaterMark ?? 65536);
  else if (typeof (source as ReadableStream).getReader === 'function') raw = fromReadableStream(source as ReadableStream<Uint8Array | string>);
  else raw = source as AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  for await (const chunk of raw) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield text;
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield tail;
}

/** Drops one leading BOM (U+FEFF) from text given in chunks. */
export class BomStripper {
  #first = true;

  strip(chunk: string): string {
    if (!this.#first || chunk.length === 0) return chunk;
    this.#first = false;
    return chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk;
  }
}

/** The source's text, chunk by chunk, decoded as UTF-8, without a leading BOM. */
export async function* textChunks(source: TextSource, options: ChunkOptions = {}): AsyncGenerator<string> {
  const bom = new BomStripper();
  for await (const chunk of rawTextChunks(source, options)) {
    const text = bom.strip(chunk);
    if (text.length > 0) yield text;
  }
}
