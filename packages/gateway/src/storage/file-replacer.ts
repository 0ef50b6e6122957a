/**
 * Replaces files under one root directory whole, so none is ever torn: the bytes go to a
 * temporary file in the root (the same file system as the targets), which is then renamed over
 * the target; a reader or a crash sees the old bytes or the new. Nothing is fsynced on the way
 * (the owner keeps a write-ahead log); `sync()` makes every file replaced since the last one
 * durable, with the directories naming it up to the root, before the owner lets go of the log
 * that could rebuild them. The first `sync()` syncs every file under the root: what an earlier
 * process wrote may not be on disk yet. A failed fsync fails every later `sync()`: a retry may
 * succeed after the kernel dropped the pages it could not write, and report them durable.
 *
 * Temporaries are named `.tmp-<tag>-<n>`; a crash may leave some behind (`TEMPORARY` matches them).
 */
import { randomBytes } from "node:crypto";
import { open, readdir, rename, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** The names of temporary files. */
export const TEMPORARY = /^\.tmp-[0-9a-f]+-\d+$/;

export class FileReplacer {
  readonly #root: string;
  readonly #tag = randomBytes(4).toString("hex");
  #counter = 0;
  /** Files replaced since the last `sync()`. */
  #unsynced = new Set<string>();
  #syncedOnce = false;
  #failed: Error | undefined;

  constructor(root: string) {
    this.#root = root;
  }

  /** Replaces `path` (under the root) with `bytes`: a temporary, then a rename over it. */
  async replace(path: string, bytes: Uint8Array): Promise<void> {
    const temporary = join(this.#root, `.tmp-${this.#tag}-${this.#counter++}`);
    try {
      await writeFile(temporary, bytes);
      await rename(temporary, path);
    } catch (e) {
      await unlink(temporary).catch(() => {});
      throw e;
    }
    this.#unsynced.add(path);
  }

  /** Makes every file replaced so far durable: its bytes, then the directories naming it, up to the root. */
  async sync(): Promise<void> {
    if (this.#failed) throw this.#failed;
    const files = this.#syncedOnce ? [...this.#unsynced] : await filesUnder(this.#root);
    this.#unsynced = new Set();
    const directories = new Set<string>();
    for (const file of files) {
      for (let d = dirname(file); d.startsWith(this.#root); d = dirname(d)) {
        directories.add(d);
        if (d === this.#root) break;
      }
    }
    try {
      for (let i = 0; i < files.length; i += SYNCS_AT_ONCE) {
        await Promise.all(files.slice(i, i + SYNCS_AT_ONCE).map((f) => fsyncPath(f)));
      }
      await Promise.all([...directories].map((d) => fsyncPath(d)));
      this.#syncedOnce = true;
    } catch (e) {
      this.#failed = e as Error;
      throw e;
    }
  }
}

/** Files fsynced at once. */
const SYNCS_AT_ONCE = 16;

/** Every file under `root` (temporaries left by a crash aside). */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && !TEMPORARY.test(e.name)).map((e) => join(e.parentPath ?? e.path, e.name));
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
