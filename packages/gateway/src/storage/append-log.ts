/**
 * A durable append-only log of opaque payloads in chunk files (`chunk-000001.log`, ...), a new
 * one every `chunkDurationMs` of writing or past `chunkMaxBytes`. Each append is one frame
 * (`frames.ts`): all of it or, after a crash, none. Appends are synchronous writes; `flush()`
 * resolves once they are on disk, one fdatasync serving every append made meanwhile (group
 * commit). Reads see only flushed frames. A write or fdatasync that fails stops the log: what
 * reached the disk is then unknown, and only a restart's scan settles it.
 *
 * Each chunk carries a summary of the owner's (`S`), built from what is appended to it and, at
 * open, from what is found in it, so the owner can tell which chunks a read needs, and which
 * old ones it may drop (`dropOldest`).
 */
import {
  closeSync,
  fdatasync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { encodeFrame, FRAME_HEADER_BYTES, scanFrames } from "./frames.js";
import { syncDirectory } from "./sync-directory.js";

export interface AppendLogOptions {
  readonly chunkDurationMs: number;
  readonly chunkMaxBytes: number;
}

export class LogChunk<S> {
  fd: number | undefined;
  /** Bytes written, and bytes known to be on disk. */
  size = 0;
  synced = 0;
  readonly openedAt = Date.now();
  /** When it was last written to (ms since the epoch; its file's mtime for a chunk found at open). */
  writtenAt = this.openedAt;

  constructor(
    readonly path: string,
    readonly summary: S,
  ) {}
}

const CHUNK_NAME = /^chunk-(\d{6,})\.log$/;
/** How much `framesFrom` reads at a time. */
const READ_BLOCK_BYTES = 1024 * 1024;
const chunkNumber = (name: string) => Number(CHUNK_NAME.exec(name)?.[1]);

export class AppendLog<S> {
  readonly #dir: string;
  readonly #options: AppendLogOptions;
  readonly #summary: () => S;
  readonly #chunks: LogChunk<S>[] = [];
  readonly #dirty = new Set<LogChunk<S>>();
  #writes = 0;
  #nextIndex = 1;
  #syncing = false;
  #waiters: { write: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  #closed = false;
  #failed: Error | undefined;

  /**
   * Opens (creating) the log in `dir`. Existing chunks are scanned: a torn or corrupt tail (a
   * crash during a write) is cut off, and every intact payload is passed to `onPayload`.
   */
  constructor(
    dir: string,
    options: AppendLogOptions,
    summary: () => S,
    onPayload: (payload: Buffer, chunk: LogChunk<S>) => void = () => {},
  ) {
    this.#dir = dir;
    this.#options = options;
    this.#summary = summary;
    if (mkdirSync(dir, { recursive: true }) !== undefined) syncDirectory(dirname(dir));
    const names = readdirSync(dir)
      .filter((n) => CHUNK_NAME.test(n))
      .sort((a, b) => chunkNumber(a) - chunkNumber(b));
    for (const name of names) {
      const chunk = new LogChunk(join(dir, name), summary());
      this.#nextIndex = chunkNumber(name) + 1;
      const bytes = readFileSync(chunk.path);
      const { payloads, intactBytes } = scanFrames(bytes);
      if (intactBytes < bytes.length) {
        const fd = openSync(chunk.path, "r+");
        ftruncateSync(fd, intactBytes);
        fsyncSync(fd);
        closeSync(fd);
      }
      for (const payload of payloads) onPayload(payload, chunk);
      chunk.size = chunk.synced = intactBytes;
      chunk.writtenAt = statSync(chunk.path).mtimeMs;
      this.#chunks.push(chunk);
    }
  }

  get chunks(): readonly LogChunk<S>[] {
    return this.#chunks;
  }

  /** Bytes stored, all chunks. */
  get bytes(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.size;
    return n;
  }

  /** Appends one frame; returns its chunk (for the owner's summary). Not durable until `flush()`. */
  append(payload: Uint8Array): LogChunk<S> {
    if (this.#closed) throw new Error("the log is closed");
    if (this.#failed) throw new Error(`the storage failed earlier (${this.#failed.message}); restart`);
    const frame = encodeFrame(payload);
    let chunk: LogChunk<S>;
    try {
      chunk = this.#writable(frame.length);
      let written = 0;
      while (written < frame.length) {
        written += writeSync(chunk.fd as number, frame, written, frame.length - written, chunk.size + written);
      }
    } catch (e) {
      this.#failed = e as Error;
      throw e;
    }
    chunk.size += frame.length;
    chunk.writtenAt = Date.now();
    this.#dirty.add(chunk);
    this.#writes++;
    return chunk;
  }

  /**
   * Resolves once everything appended so far is on disk (and readable). Once a write or an
   * fdatasync has failed, every flush fails: a later fdatasync may succeed while the pages of
   * the failed one are lost, so nothing after the failure is ever reported durable.
   */
  flush(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#dirty.size === 0 && !this.#syncing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ write: this.#writes, resolve, reject });
      this.#sync();
    });
  }

  /** The flushed payloads of one chunk, in order. */
  payloads(chunk: LogChunk<S>): Buffer[] {
    return chunk.synced === 0 ? [] : scanFrames(readPrefix(chunk.path, chunk.synced)).payloads;
  }

  /**
   * The flushed payloads of one chunk from byte `offset` (where a frame starts) on, each with
   * the offset of its frame, read about READ_BLOCK_BYTES at a time: a reader that stops early
   * reads little, and one that goes on from a frame's offset later does not read what it had.
   */
  *framesFrom(chunk: LogChunk<S>, offset = 0): Generator<{ payload: Buffer; offset: number }> {
    if (offset >= chunk.synced) return;
    const fd = openSync(chunk.path, "r");
    try {
      for (let at = offset; at < chunk.synced; ) {
        let block = readAt(fd, at, Math.min(chunk.synced - at, READ_BLOCK_BYTES));
        let { payloads, intactBytes } = scanFrames(block);
        if (payloads.length === 0 && block.length >= FRAME_HEADER_BYTES) {
          // A frame larger than the block: read it whole.
          block = readAt(fd, at, Math.min(chunk.synced - at, FRAME_HEADER_BYTES + block.readUInt32LE(0)));
          ({ payloads, intactBytes } = scanFrames(block));
        }
        if (payloads.length === 0) return;
        for (const payload of payloads) {
          yield { payload, offset: at + payload.byteOffset - block.byteOffset - FRAME_HEADER_BYTES };
        }
        at += intactBytes;
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Removes the `count` oldest chunks, never the last one (appends go there) nor one with appends
   * not yet on disk: their records are gone from the log, for good.
   */
  dropOldest(count: number): void {
    const n = Math.min(count, this.#chunks.length - 1);
    if (n <= 0) return;
    const dropped = this.#chunks.slice(0, n);
    if (dropped.some((c) => this.#dirty.has(c) || c.synced < c.size)) throw new Error("chunks still being written");
    this.#chunks.splice(0, n);
    for (const c of dropped) {
      if (c.fd !== undefined) closeSync(c.fd);
      c.fd = undefined;
      unlinkSync(c.path);
    }
    syncDirectory(this.#dir);
  }

  /** Closes the files once pending appends are on disk. */
  async close(): Promise<void> {
    await this.flush().catch(() => {});
    this.#closed = true;
    for (const c of this.#chunks) {
      if (c.fd !== undefined) closeSync(c.fd);
      c.fd = undefined;
    }
  }

  /** The chunk to append `bytes` to: the last one, or a new one when it is old or full. */
  #writable(bytes: number): LogChunk<S> {
    const last = this.#chunks.at(-1);
    const full =
      !last ||
      (last.size > 0 &&
        (last.size + bytes > this.#options.chunkMaxBytes ||
          Date.now() - last.openedAt > this.#options.chunkDurationMs));
    if (!full && last.fd !== undefined) return last;
    if (!full) {
      last.fd = openSync(last.path, "r+");
      return last;
    }
    // A finished chunk's file is closed now if it is on disk, else once its fdatasync is done.
    if (last?.fd !== undefined && last.synced === last.size && !this.#dirty.has(last)) {
      closeSync(last.fd);
      last.fd = undefined;
    }
    const name = `chunk-${String(this.#nextIndex++).padStart(6, "0")}.log`;
    const chunk = new LogChunk(join(this.#dir, name), this.#summary());
    chunk.fd = openSync(chunk.path, "wx");
    syncDirectory(this.#dir);
    this.#chunks.push(chunk);
    return chunk;
  }

  #sync(): void {
    if (this.#syncing || this.#waiters.length === 0) return;
    this.#syncing = true;
    const upTo = this.#writes;
    const chunks = [...this.#dirty];
    const sizes = chunks.map((c) => c.size);
    this.#dirty.clear();
    const done = (error?: Error) => {
      this.#syncing = false;
      if (error) this.#failed ??= error;
      if (this.#failed) {
        // Nothing is durable from here on: every waiter fails (see flush).
        const failed = this.#failed;
        const waiters = this.#waiters;
        this.#waiters = [];
        for (const w of waiters) w.reject(failed);
        return;
      }
      chunks.forEach((c, i) => {
        c.synced = Math.max(c.synced, sizes[i] as number);
        // A rolled chunk is finished once on disk.
        if (c !== this.#chunks.at(-1) && !this.#dirty.has(c) && c.fd !== undefined) {
          closeSync(c.fd);
          c.fd = undefined;
        }
      });
      const ready = this.#waiters.filter((w) => w.write <= upTo);
      this.#waiters = this.#waiters.filter((w) => w.write > upTo);
      for (const w of ready) w.resolve();
      this.#sync();
    };
    let pending = chunks.length;
    let failure: Error | undefined;
    if (pending === 0) {
      queueMicrotask(() => done());
      return;
    }
    for (const c of chunks) {
      fdatasync(c.fd as number, (e) => {
        if (e) failure ??= e;
        if (--pending === 0) done(failure);
      });
    }
  }
}

/** Bytes read from `fd` at `position` (fewer at the end of the file). */
function readAt(fd: number, position: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, out, read, length - read, position + read);
    if (n === 0) break;
    read += n;
  }
  return out.subarray(0, read);
}

function readPrefix(path: string, length: number): Buffer {
  const fd = openSync(path, "r");
  try {
    return readAt(fd, 0, length);
  } finally {
    closeSync(fd);
  }
}
