/**
 * Replaces files under one root directory whole, so none is ever torn: the bytes go to a
 * temporary file in the root (the same file system as the targets), which is then renamed over
 * the target; a reader or a crash sees the old bytes or the new. Nothing is fsynced on the way
 * (the owner keeps a write-ahead log); `sync()` makes every file replaced since the last one
 * durable, with the directories naming it up to the root, before the owner lets go of the log
 * that could rebuild them.
 *
 * Temporaries are named `.tmp-<tag>-<n>`; a crash may leave some behind (`TEMPORARY` matches them).
 */
import { randomBytes } from "node:crypto";
import { open, rename, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** The names of temporary files. */
export const TEMPORARY = /^\.tmp-[0-9a-f]+-\d+$/;

export class FileReplacer {
  readonly #root: string;
  readonly #tag = randomBytes(4).toString("hex");
  #counter = 0;
  /** Files replaced since the last `sync()`. */
  #unsynced = new Set<string>();

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
    const files = [...this.#unsynced];
    this.#unsynced = new Set();
    const directories = new Set<string>();
    for (const file of files) {
      for (let d = dirname(file); d.startsWith(this.#root); d = dirname(d)) {
        directories.add(d);
        if (d === this.#root) break;
      }
    }
    try {
      await Promise.all(files.map((f) => fsyncPath(f)));
      await Promise.all([...directories].map((d) => fsyncPath(d)));
    } catch (e) {
      for (const f of files) this.#unsynced.add(f);
      throw e;
    }
  }
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
