/**
 * The durable data of one session: append-only chunk files (`chunk-000001.log`, ...), a new one
 * every `chunkDurationMs` of writing or `chunkMaxBytes`, each summarized in memory (time span,
 * channels) so a read opens only the chunks it needs. Writes are synchronous appends; `flush()`
 * resolves once they are on disk, one fdatasync serving every write made meanwhile (group commit).
 * Reads see only flushed data: what a reader gets has been published and survives a crash.
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
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { type DataRecord, decodeRecords, encodeFrame, scanFrames } from "./records.js";

export interface SessionLogOptions {
  readonly chunkDurationMs: number;
  readonly chunkMaxBytes: number;
}

/** Which records a read wants. */
export interface RecordFilter {
  readonly kind: DataRecord["kind"];
  /** For bursts and rows: whether a channel is wanted (a row matches if any of its channels is). */
  readonly channel?: (id: number) => boolean;
  /** Inclusive time span; a record overlapping it matches. */
  readonly start: bigint;
  readonly end: bigint;
}

class Chunk {
  fd: number | undefined;
  /** Bytes written, and bytes known to be on disk. */
  size = 0;
  synced = 0;
  minTime: bigint | undefined;
  maxTime: bigint | undefined;
  readonly channels = new Set<number>();
  readonly kinds = new Set<DataRecord["kind"]>();
  readonly openedAt = Date.now();

  constructor(readonly path: string) {}

  note(record: DataRecord): void {
    if (this.minTime === undefined || record.start < this.minTime) this.minTime = record.start;
    if (this.maxTime === undefined || record.end > this.maxTime) this.maxTime = record.end;
    for (const id of record.channelIds) this.channels.add(id);
    this.kinds.add(record.kind);
  }

  mayHold(filter: RecordFilter): boolean {
    if (this.minTime === undefined || this.maxTime === undefined || !this.kinds.has(filter.kind)) return false;
    if (this.maxTime < filter.start || this.minTime > filter.end) return false;
    if (!filter.channel || filter.kind === "event") return true;
    for (const id of this.channels) if (filter.channel(id)) return true;
    return false;
  }
}

const CHUNK_NAME = /^chunk-(\d{6,})\.log$/;

export class SessionLog {
  readonly #dir: string;
  readonly #options: SessionLogOptions;
  readonly #chunks: Chunk[] = [];
  readonly #dirty = new Set<Chunk>();
  #writes = 0;
  #nextIndex = 1;
  #syncing = false;
  #waiters: { write: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  #closed = false;
  /** A write or fdatasync failed: what reached the disk is unknown, so nothing more is written until a restart. */
  #failed: Error | undefined;

  /**
   * Opens (creating) the log in `dir`. Existing chunks are scanned: a torn or corrupt tail (a
   * crash during a write) is cut off, and every intact record is passed to `onRecord`.
   */
  constructor(dir: string, options: SessionLogOptions, onRecord: (record: DataRecord) => void = () => {}) {
    this.#dir = dir;
    this.#options = options;
    if (mkdirSync(dir, { recursive: true }) !== undefined) syncDirectory(dirname(dir));
    const names = readdirSync(dir)
      .filter((n) => CHUNK_NAME.test(n))
      .sort((a, b) => Number(CHUNK_NAME.exec(a)?.[1]) - Number(CHUNK_NAME.exec(b)?.[1]));
    for (const name of names) {
      const chunk = new Chunk(join(dir, name));
      this.#nextIndex = Number(CHUNK_NAME.exec(name)?.[1]) + 1;
      const bytes = readFileSync(chunk.path);
      const { payloads, intactBytes } = scanFrames(bytes);
      if (intactBytes < bytes.length) {
        const fd = openSync(chunk.path, "r+");
        ftruncateSync(fd, intactBytes);
        fsyncSync(fd);
        closeSync(fd);
      }
      for (const payload of payloads) {
        for (const record of decodeRecords(payload)) {
          chunk.note(record);
          onRecord(record);
        }
      }
      chunk.size = chunk.synced = intactBytes;
      this.#chunks.push(chunk);
    }
  }

  /** Bytes stored, all chunks. */
  get bytes(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.size;
    return n;
  }

  /** Appends the records as one frame (all or, after a crash, none). Not durable until `flush()`. */
  append(records: readonly DataRecord[]): void {
    if (this.#closed) throw new Error("the session log is closed");
    if (this.#failed) throw new Error(`the session's storage failed earlier (${this.#failed.message}); restart`);
    if (records.length === 0) return;
    const frame = encodeFrame(records);
    let chunk: Chunk;
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
    for (const r of records) chunk.note(r);
    this.#dirty.add(chunk);
    this.#writes++;
  }

  /** Resolves once everything appended so far is on disk (and readable). */
  flush(): Promise<void> {
    if (this.#dirty.size === 0 && !this.#syncing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ write: this.#writes, resolve, reject });
      this.#sync();
    });
  }

  /** Flushed records matching `filter`, chunk by chunk in the order they were written. */
  *read(filter: RecordFilter): Generator<DataRecord> {
    for (const chunk of this.#chunks) {
      if (chunk.synced === 0 || !chunk.mayHold(filter)) continue;
      const bytes = readPrefix(chunk.path, chunk.synced);
      for (const payload of scanFrames(bytes).payloads) {
        for (const r of decodeRecords(payload)) {
          if (r.kind !== filter.kind || r.end < filter.start || r.start > filter.end) continue;
          if (filter.channel && r.kind !== "event" && !r.channelIds.some(filter.channel)) continue;
          yield r;
        }
      }
    }
  }

  /** Closes the files once pending writes are on disk. */
  async close(): Promise<void> {
    await this.flush().catch(() => {});
    this.#closed = true;
    for (const c of this.#chunks) {
      if (c.fd !== undefined) closeSync(c.fd);
      c.fd = undefined;
    }
  }

  /** The chunk to append `bytes` to: the last one, or a new one when it is old or full. */
  #writable(bytes: number): Chunk {
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
    const chunk = new Chunk(join(this.#dir, `chunk-${String(this.#nextIndex++).padStart(6, "0")}.log`));
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
      chunks.forEach((c, i) => {
        if (!error) c.synced = Math.max(c.synced, sizes[i] as number);
        // A rolled chunk is finished once on disk.
        if (c !== this.#chunks.at(-1) && !this.#dirty.has(c) && c.fd !== undefined) {
          closeSync(c.fd);
          c.fd = undefined;
        }
      });
      const ready = this.#waiters.filter((w) => w.write <= upTo);
      this.#waiters = this.#waiters.filter((w) => w.write > upTo);
      for (const w of ready) {
        if (error) w.reject(error);
        else w.resolve();
      }
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

function readPrefix(path: string, length: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const out = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, out, read, length - read, read);
      if (n === 0) break;
      read += n;
    }
    return out.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Makes a new file's directory entry durable. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
