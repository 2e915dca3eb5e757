/**
 * Atomic file replacement, the one way this package overwrites a state file: write a temp file
 * in the same directory, fsync it, rename it over the target, fsync the directory. A crash at any
 * point leaves the old content or the new, never a mix; the rename only works within one file
 * system, hence the same directory.
 */
import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/** Temp files are `.<target name>.<pid>.<random>.tmp`, so a cleanup can tell whose they were. */
const TEMP = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** A temp file older than this is a leftover whatever its pid says (pids are reused). */
const STALE_AFTER_MS = 15 * 60_000;

/**
 * This process's temp files being written now. A leftover of an earlier process with our pid
 * (a container's process is pid 1 at every start) is not among them.
 */
const writing = new Set<string>();

/** Replaces `path` with `text` atomically and durably. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(resolve(path));
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  writing.add(temp);
  try {
    const handle = await open(temp, "w", 0o600);
    try {
      await handle.writeFile(text, "utf8");
      // Without it, a power loss after the rename can leave the new name pointing at an empty file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  } finally {
    writing.delete(temp);
  }
  await syncDirectory(dir);
}

/** Makes a rename in `dir` durable. Some platforms (Windows) cannot open a directory: skipped there. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Best effort: the rename itself is already atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Deletes the temp files `writeFileAtomic` left in `dir` when its process died between writing
 * and renaming: those of a process that is no longer running, and any older than 15 minutes.
 * A live writer's temp file (another write in this process, another process) is left alone.
 */
export async function removeStaleTemps(dir: string, now: number = Date.now()): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = TEMP.exec(name);
    if (!match) continue;
    const path = resolve(dir, name);
    const pid = Number(match[1]);
    let stale = pid === process.pid ? !writing.has(path) : !isRunning(pid);
    if (!stale) {
      const info = await stat(path).catch(() => undefined);
      stale = info !== undefined && now - info.mtimeMs > STALE_AFTER_MS;
    }
    if (stale) await rm(path, { force: true }).catch(() => undefined);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
