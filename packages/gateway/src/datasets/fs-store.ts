/**
 * A zarrita store over one directory, whose files are never torn: every `set` writes a temporary
 * file in the root directory and renames it over the target, so a reader or a crash sees the old
 * bytes or the new, never a mix (rename is atomic on POSIX; every temporary lives in the root, the
 * same file system as its target: storage/file-replacer.ts). Nothing is fsynced on the way:
 * durability is the caller's, who keeps a write-ahead log and re-applies it after a crash, and
 * calls `sync()` before it drops any of that log. A crash may leave temporaries behind;
 * `removeTemporaries()` clears them and must not run while writes are in flight.
 *
 * `buffered(fn)` holds the writes `fn` makes in memory (its reads see them) and then writes each
 * file once, chunks before `zarr.json`: a batch of small writes to one chunk costs one rewrite.
 *
 * Keys are zarrita's absolute paths (`/zarr.json`, `/c/0/1`): empty, `.` and `..` segments, NUL
 * and backslashes are refused, so no key reaches outside the directory (nor names a temporary).
 */
import { mkdir, readdir, readFile, rm, unlink } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import type { AbsolutePath, AsyncMutable } from "zarrita";
import { FileReplacer, TEMPORARY } from "../storage/file-replacer.js";

/** `buffered` writes out what it holds past this many bytes. */
const HELD_MAX_BYTES = 64 * 1024 * 1024;
/** Files written at once (each a write and a rename on the thread pool). */
const WRITES_AT_ONCE = 16;

export class FsStore implements AsyncMutable {
  readonly #root: string;
  /** Directories known to exist, so a write to an existing chunk row makes no mkdir call. */
  readonly #made = new Set<string>();
  readonly #files: FileReplacer;
  /** The writes held by `buffered`, while it runs, and their bytes. */
  #held: Map<AbsolutePath, Uint8Array> | undefined;
  #heldBytes = 0;

  constructor(root: string) {
    this.#root = root;
    this.#files = new FileReplacer(root);
  }

  get root(): string {
    return this.#root;
  }

  /** The bytes at `key`, or undefined when there are none. The array returned owns its whole buffer. */
  async get(key: AbsolutePath): Promise<Uint8Array | undefined> {
    const path = this.#path(key);
    const held = this.#held?.get(key);
    if (held) return ownsBuffer(held) ? held : new Uint8Array(held);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if (isCode(e, "ENOENT") || isCode(e, "ENOTDIR")) return undefined;
      throw e;
    }
    // zarrita's bytes codec encodes a decoded chunk from its `.buffer`, ignoring the view's offset:
    // a view into a shared (pooled) buffer would write unrelated bytes back.
    return ownsBuffer(bytes) ? new Uint8Array(bytes.buffer, 0, bytes.byteLength) : new Uint8Array(bytes);
  }

  /** Replaces `key` whole: temporary file, then rename over the target (held, in `buffered`). */
  async set(key: AbsolutePath, value: Uint8Array): Promise<void> {
    this.#path(key);
    if (!this.#held) {
      await this.#write(key, value);
      return;
    }
    this.#heldBytes += value.byteLength - (this.#held.get(key)?.byteLength ?? 0);
    this.#held.set(key, value);
    if (this.#heldBytes > HELD_MAX_BYTES) await this.#writeHeld();
  }

  /**
   * Runs `fn` with every `set` held in memory, then writes each key it set once (`zarr.json` last,
   * so the shape never runs ahead of the chunks). Past HELD_MAX_BYTES the chunks held so far are
   * written at once, so memory stays bounded. If `fn` fails, what is still held is not written
   * (the caller's log applies the whole batch again after a restart).
   */
  async buffered<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#held) throw new Error("buffered writes do not nest");
    this.#held = new Map();
    this.#heldBytes = 0;
    try {
      const result = await fn();
      await this.#writeHeld();
      const metadata = this.#held.get("/zarr.json");
      if (metadata) await this.#write("/zarr.json", metadata);
      return result;
    } finally {
      this.#held = undefined;
    }
  }

  /** Writes the chunks held (not `zarr.json`), a few files at a time. */
  async #writeHeld(): Promise<void> {
    const held = this.#held as Map<AbsolutePath, Uint8Array>;
    const chunks = [...held].filter(([key]) => key !== "/zarr.json");
    for (const [key, value] of chunks) {
      held.delete(key);
      this.#heldBytes -= value.byteLength;
    }
    for (let i = 0; i < chunks.length; i += WRITES_AT_ONCE) {
      await Promise.all(chunks.slice(i, i + WRITES_AT_ONCE).map(([key, value]) => this.#write(key, value)));
    }
  }

  async #write(key: AbsolutePath, value: Uint8Array): Promise<void> {
    const path = this.#path(key);
    const parent = dirname(path);
    if (!this.#made.has(parent)) {
      await mkdir(parent, { recursive: true });
      this.#made.add(parent);
    }
    await this.#files.replace(path, value);
  }

  /** Makes every file written so far durable (see FileReplacer.sync). */
  sync(): Promise<void> {
    return this.#files.sync();
  }

  /** Removes `key`; true if it existed. */
  async delete(key: AbsolutePath): Promise<boolean> {
    try {
      await unlink(this.#path(key));
      return true;
    } catch (e) {
      if (isCode(e, "ENOENT") || isCode(e, "ENOTDIR")) return false;
      throw e;
    }
  }

  /** Removes the subtree under `prefix` (a key naming a directory, e.g. `/c`). */
  async deleteTree(prefix: AbsolutePath): Promise<void> {
    const path = this.#path(prefix);
    await rm(path, { recursive: true, force: true });
    for (const made of this.#made) if (made === path || made.startsWith(path + sep)) this.#made.delete(made);
  }

  /** Removes temporaries left by a crash mid-`set`. Only while no `set` is in flight. */
  async removeTemporaries(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.#root);
    } catch (e) {
      if (isCode(e, "ENOENT")) return 0;
      throw e;
    }
    const stale = names.filter((n) => TEMPORARY.test(n));
    await Promise.all(stale.map((n) => unlink(join(this.#root, n)).catch(() => {})));
    return stale.length;
  }

  #path(key: string): string {
    if (!key.startsWith("/")) throw new RangeError(`store key "${key}" is not absolute`);
    const segments = key.slice(1).split("/");
    if (TEMPORARY.test(segments[0] ?? "")) throw new RangeError(`store key "${key}" names a temporary file`);
    for (const s of segments) {
      if (s === "" || s === "." || s === ".." || s.includes("\\") || s.includes("\0")) {
        throw new RangeError(`store key "${key}" is not a plain relative path`);
      }
    }
    return join(this.#root, ...segments);
  }
}

function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

function isCode(e: unknown, code: string): boolean {
  return typeof e === "object" && e !== null && "code" in e && e.code === code;
}
