/**
 * File helpers with no dependencies beyond Node's own modules (the kill-during-save test runs
 * them in a bare `node` child): errors in words, atomic replacement, a per-model lock.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Why a file operation failed, in words (Node's messages read `ENOENT: …, open '…'`). */
export function fileProblem(err: unknown): string {
  switch ((err as { code?: unknown } | null)?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

export function errorCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** Temporary files are `<target>.tmp-<pid>-<hex>`: the pid tells a leftover of a killed writer. */
export const TEMP_INFIX = '.tmp-';

/**
 * Replaces `path` by `bytes` atomically: written to a temporary file beside it, fsynced, renamed
 * over it. A crash leaves the old file (and maybe a temporary), never a partial `path`.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}${TEMP_INFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx');
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Makes renames in `dir` durable (best effort: not every platform can fsync a directory). */
export function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot open a directory; the renames are still atomic.
  }
}

/** Whether a process with this pid exists. */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}

/**
 * Takes the lock file `path` (created exclusively, holding our pid); returns its release. A lock
 * whose pid is gone (a killed writer) is taken over; a live one throws `busy(pid)`.
 */
export function lockFile(path: string, busy: (pid: number) => Error): () => void {
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return () => rmSync(path, { force: true });
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw err;
      let pid = Number.NaN;
      try {
        pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      } catch {
        // Gone meanwhile: try again.
      }
      // A pid equal to ours is a leftover of an earlier process that had it.
      const live = Number.isInteger(pid) && pid !== process.pid && isAlive(pid);
      if (live || attempt > 0) throw busy(pid);
      rmSync(path, { force: true });
    }
  }
}
