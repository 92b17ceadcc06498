/**
 * File access that keeps the package browser-safe: Node's modules come from
 * `process.getBuiltinModule` when a function is given a path, so a browser bundle has no
 * `node:` import to resolve and bundles that pass bytes never touch them.
 */

type FsPromises = typeof import('node:fs/promises');

/** A Node built-in (`node:fs/promises` …), or null outside Node. Not `import()`: bundlers would try to resolve it. */
export function nodeBuiltin<T>(id: string): T | null {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return (p?.getBuiltinModule?.(id) as T | undefined) ?? null;
}

function fs(what: string): FsPromises {
  const f = nodeBuiltin<FsPromises>('node:fs/promises');
  if (!f) throw new Error(`${what}: file paths need Node.js (node:fs); in the browser pass a Uint8Array instead`);
  return f;
}

/** The bytes of `input`: itself when it is bytes, the file's contents when it is a path. */
export async function readInput(input: Uint8Array | ArrayBuffer | string, what: string): Promise<Uint8Array> {
  if (typeof input === 'string') {
    const f = fs(what);
    const buf = await f.readFile(input);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (input instanceof Uint8Array) return input;
  // Uint8Arrays from another realm (a worker, an iframe) fail `instanceof`.
  if (ArrayBuffer.isView(input) && Object.prototype.toString.call(input) === '[object Uint8Array]') {
    const v = input as ArrayBufferView;
    return new Uint8Array(v.buffer as ArrayBuffer, v.byteOffset, v.byteLength);
  }
  throw new TypeError(`${what}: expected a Uint8Array or a file path, got ${describe(input)}`);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

/**
 * Removes `path.tmp-<pid>-<random>` files that earlier saves to `path` left behind when they were
 * killed: those of a process that is no longer running, and those with this process's pid (a
 * reused pid, as in containers) last written before this process started. Temps of live processes
 * and of this process's own saves (other threads included) are kept, as is any other file.
 */
async function removeStaleTemps(f: FsPromises, path: string): Promise<void> {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dir = slash >= 0 ? path.slice(0, slash + 1) : '';
  const prefix = `${path.slice(slash + 1)}.tmp-`;
  let names: string[];
  try {
    names = await f.readdir(dir || '.');
  } catch {
    return; // the write reports a missing directory
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)-[0-9a-z]*$/.exec(name.slice(prefix.length)) : null;
    if (!m) continue;
    const tmp = dir + name;
    const pid = Number(m[1]);
    try {
      // process.uptime() is the process's, also in a worker thread (performance.timeOrigin is the thread's).
      const stale = pid === process.pid ? (await f.stat(tmp)).mtimeMs < Date.now() - process.uptime() * 1000 : !processAlive(pid);
      if (stale) await f.rm(tmp, { force: true });
    } catch {
      // gone meanwhile, or not ours to remove: best effort
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as { code?: string }).code !== 'ESRCH';
  }
}

/**
 * Writes `bytes` to `path` atomically: into `path.tmp-<pid>-<random>` in the same directory,
 * flushed with fsync, then renamed over `path` (a reader sees the old file or the new one, never
 * a partial one). The temporary file is removed if anything fails, and temporary files that
 * killed saves to the same path left behind are removed first.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, what: string): Promise<void> {
  const f = fs(what);
  await removeStaleTemps(f, path);
  const rand = Math.random().toString(36).slice(2, 10);
  const tmp = `${path}.tmp-${process.pid}-${rand}`;
  let handle: Awaited<ReturnType<FsPromises['open']>> | null = null;
  try {
    handle = await f.open(tmp, 'wx');
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
      written += bytesWritten;
    }
    try {
      await handle.sync();
    } catch {
      // fsync is unavailable on some file systems; the rename below is still atomic.
    }
    await handle.close();
    handle = null;
    await f.rename(tmp, path);
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await f.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(f, path);
}

async function syncDir(f: FsPromises, path: string): Promise<void> {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dir = slash > 0 ? path.slice(0, slash) : slash === 0 ? '/' : '.';
  try {
    const h = await f.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // Directories cannot be opened or fsynced on every platform (Windows); best effort.
  }
}

/** Defines `key` on `obj` as an own enumerable property (safe for keys like `__proto__`). */
export function defineEntry<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
