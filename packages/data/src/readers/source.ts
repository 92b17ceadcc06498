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
  const specifier = 'node:fs';
  let fs: typeof import('node:fs');
  try {
    fs = (await import(/* @vite-ignore */ specifier)) as typeof import('node:fs');
  } catch {
    throw new TypeError('file paths need Node.js; in a browser pass a ReadableStream, e.g. (await fetch(url)).body');
  }
  yield* fs.createReadStream(path, { highWaterMark }) as AsyncIterable<Uint8Array>;
}

/** How a file source is read. */
export interface ChunkOptions {
  /** Bytes per read from a file (default 64 KiB). */
  highWaterMark?: number;
}

/** The source's text, chunk by chunk, decoded as UTF-8. */
export async function* textChunks(source: TextSource, options: ChunkOptions = {}): AsyncGenerator<string> {
  let raw: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
  if (typeof source === 'string' || source instanceof URL) raw = fromFile(source, options.highWaterMark ?? 65536);
  else if (typeof (source as ReadableStream).getReader === 'function') raw = fromReadableStream(source as ReadableStream<Uint8Array | string>);
  else raw = source as AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
  const decoder = new TextDecoder('utf-8');
  let first = true;
  for await (const chunk of raw) {
    let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text.length > 0) yield text;
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield tail;
}
