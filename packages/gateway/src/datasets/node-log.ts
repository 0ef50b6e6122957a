/**
 * The stream of one dataset node: its updates, numbered from 1 in the order they become durable,
 * kept in an append-log (`storage/append-log.ts`) so any subscriber can replay from any sequence
 * and a restart continues the numbering. A sequence is assigned and the record appended in one
 * synchronous step, and records are published in that order once flushed: concurrent writers can
 * never publish out of order or lose a number (Tiled's INCR-then-publish can).
 *
 * The log is also the node's write-ahead log: an update is durable before anyone sees it, and
 * applied to the node's data afterwards, in order and in batches (one batch holds what was
 * published within `applyDelayMs`, or meanwhile the previous batch was applied): readers of the
 * data wait for what is pending, and after a crash the caller re-applies the updates past what it
 * had applied. Writers wait while more than `maxUnappliedBytes` is published but not applied.
 *
 * Its oldest files may be dropped (`trimmable`, `trim`) once what they hold is applied and past
 * the retention limits: replay then starts at `first`. The last sequence dropped is noted durably
 * first, so the numbering continues from it whatever happens to the files after.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AppendLog, type AppendLogOptions, type LogChunk } from "../storage/append-log.js";
import { writeFileDurably } from "../storage/atomic-file.js";

/** One update as stored: its sequence, whether it ends the stream, and its bytes (the caller's encoding). */
export interface LogRecord {
  readonly sequence: number;
  /** The producer ended the stream (DELETE stream/close): subscribers close once caught up. */
  readonly end: boolean;
  /** Streamed but not applied to the node's data (Tiled's `persist=false`): not re-applied either. */
  readonly transient: boolean;
  readonly bytes: Uint8Array;
}

export interface AppendOptions {
  readonly end?: boolean;
  readonly transient?: boolean;
}

/** Applies published records (neither end nor transient ones) to the node's data, in sequence order. */
export type Applier = (records: readonly LogRecord[]) => Promise<void>;

export interface NodeLogOptions extends AppendLogOptions {
  /** What applies the records (none: nothing is applied, as for a container's log). */
  readonly apply?: Applier;
  /** How long a published record may wait to be applied with those that follow it (0: at once). */
  readonly applyDelayMs?: number;
  /** `room()` waits while more than this many bytes are published but not applied. */
  readonly maxUnappliedBytes?: number;
  /** Told when more records are settled (see `settled`): the owner may trim the log. Must not throw. */
  readonly onSettled?: () => void;
}

const DEFAULT_MAX_UNAPPLIED_BYTES = 64 * 1024 * 1024;

/**
 * How much of a log to keep for replay (0: no limit): a file goes when the newer ones hold at least
 * `bytes`, or when it was last written more than `ms` ago; either limit drops it.
 */
export interface Retention {
  readonly bytes: number;
  readonly ms: number;
}

/** The note of the last sequence dropped, in the log's directory. */
const DROPPED_NOTE = "dropped-through";

/** Where a record is in the log: its file, and where its frame starts in it. */
export interface LogPlace {
  readonly chunk: LogChunk<SequenceSpan>;
  readonly offset: number;
}

/** Told, in order, of each record once durable. Must not throw. */
export type RecordListener = (record: LogRecord) => void;

/** Told once the log failed (a write or fdatasync did): nothing more will be published. Must not throw. */
export type LostListener = (error: Error) => void;

class SequenceSpan {
  first = 0;
  last = 0;

  note(sequence: number): void {
    if (this.first === 0) this.first = sequence;
    this.last = sequence;
  }
}

const HEADER_BYTES = 9;

export class NodeLog {
  readonly #dir: string;
  readonly #log: AppendLog<SequenceSpan>;
  /** The last sequence dropped from the log's files (0: none). */
  #droppedThrough = 0;
  readonly #listeners = new Map<RecordListener, LostListener | undefined>();
  /** The last sequence assigned (durable or not), and the last one published. */
  #assigned = 0;
  #published = 0;
  #ended = false;
  /** The end record, once published. */
  #endRecord: LogRecord | undefined;
  /** Why the log stopped, if a write or fdatasync failed. */
  #lost: Error | undefined;
  #inOrder: Promise<void> = Promise.resolve();
  readonly #apply: Applier | undefined;
  readonly #applyDelayMs: number;
  readonly #maxUnappliedBytes: number;
  readonly #onSettled: (() => void) | undefined;
  /** The first sequence of the batch being applied. */
  #applyingFrom: number | undefined;
  /** Published records waiting to be applied, their bytes, and the last sequence queued or applied. */
  #unapplied: LogRecord[] = [];
  #unappliedBytes = 0;
  #queuedUpTo = 0;
  #appliedUpTo = 0;
  #applyTimer: NodeJS.Timeout | undefined;
  #applying: Promise<void> | undefined;
  #applyFailed: Error | undefined;

  /** Opens (creating) the log; every stored record is passed to `onRecord` (to re-apply it). */
  constructor(dir: string, options: NodeLogOptions, onRecord: (record: LogRecord) => void = () => {}) {
    this.#dir = dir;
    this.#apply = options.apply;
    this.#applyDelayMs = options.applyDelayMs ?? 0;
    this.#maxUnappliedBytes = options.maxUnappliedBytes ?? DEFAULT_MAX_UNAPPLIED_BYTES;
    this.#onSettled = options.onSettled;
    this.#log = new AppendLog(
      dir,
      options,
      () => new SequenceSpan(),
      (payload, chunk) => {
        const record = decode(payload);
        chunk.summary.note(record.sequence);
        this.#assigned = this.#published = record.sequence;
        if (record.end) {
          this.#ended = true;
          this.#endRecord = record;
        }
        onRecord(record);
      },
    );
    try {
      this.#droppedThrough = Number(readFileSync(join(dir, DROPPED_NOTE), "utf8")) || 0;
    } catch {
      // Nothing dropped yet.
    }
    this.#assigned = this.#published = Math.max(this.#published, this.#droppedThrough);
    // Files a crash left between the note and their removal.
    const stale = this.#log.chunks.findIndex((c) => c.summary.last > this.#droppedThrough);
    this.#log.dropOldest(stale === -1 ? this.#log.chunks.length - 1 : stale);
  }

  /** The sequence of the last published record (0: none yet). */
  get current(): number {
    return this.#published;
  }

  /**
   * The last sequence through which every record is settled: applied, or published with nothing
   * to apply (an end, a transient record, a log without an applier).
   */
  get settled(): number {
    if (this.#applyFailed) return Math.min(this.#appliedUpTo, this.#published);
    const pending = this.#applyingFrom ?? this.#unapplied[0]?.sequence;
    return pending === undefined ? this.#published : pending - 1;
  }

  /** The first sequence the log still holds for replay (1 unless older records were dropped). */
  get first(): number {
    return this.#droppedThrough + 1;
  }

  /**
   * How many of the oldest files may be dropped now: each holds only records applied (through
   * `appliedThrough`), is not the file being written, and is past a retention limit: the files
   * after it hold at least `retention.bytes`, or it was last written more than `retention.ms` ago.
   */
  trimmable(appliedThrough: number, retention: Retention, now = Date.now()): number {
    const chunks = this.#log.chunks;
    let bytesAfter = this.#log.bytes;
    let n = 0;
    for (const chunk of chunks.slice(0, -1)) {
      bytesAfter -= chunk.size;
      const old = retention.ms > 0 && now - chunk.writtenAt > retention.ms;
      const covered = retention.bytes > 0 && bytesAfter >= retention.bytes;
      if (chunk.summary.last > appliedThrough || !(old || covered)) break;
      n++;
    }
    return n;
  }

  /** Drops the `count` oldest files (see `trimmable`): the last sequence they hold is noted durably first. */
  trim(count: number): void {
    const dropped = this.#log.chunks.slice(0, Math.min(count, this.#log.chunks.length - 1));
    if (dropped.length === 0) return;
    const through = Math.max(this.#droppedThrough, ...dropped.map((c) => c.summary.last));
    writeFileDurably(join(this.#dir, DROPPED_NOTE), String(through));
    this.#droppedThrough = through;
    this.#log.dropOldest(dropped.length);
  }

  /** Whether the producer ended the stream. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The end record, once published (the last record). */
  get endRecord(): LogRecord | undefined {
    return this.#endRecord;
  }

  /**
   * Assigns the next sequence and appends the record `encode(sequence)` returns; once it is durable,
   * publishes it and queues its application to the node's data, both in sequence order, and
   * resolves with it. Readers of the data wait for `applied()`; writers should wait for `room()`
   * first. After an end record the log takes nothing more (an Error).
   */
  async append(encode: (sequence: number) => Uint8Array, options: AppendOptions = {}): Promise<LogRecord> {
    if (this.#ended) throw new Error("the stream has ended");
    // The end is still taken (followers are told), though the data is behind.
    if (this.#applyFailed && !options.end) throw this.#applyFailed;
    const sequence = this.#assigned + 1;
    const end = options.end ?? false;
    const record: LogRecord = {
      sequence,
      end,
      transient: options.transient ?? false,
      bytes: end ? new Uint8Array(0) : encode(sequence),
    };
    let chunk: LogChunk<SequenceSpan>;
    try {
      chunk = this.#log.append(encodeRecord(record));
    } catch (e) {
      this.#lose(e as Error);
      throw e;
    }
    this.#assigned = sequence;
    chunk.summary.note(sequence);
    if (end) this.#ended = true;
    try {
      await this.#log.flush();
    } catch (e) {
      this.#lose(e as Error);
      throw e;
    }
    // Lost meanwhile (another append's failure): nothing more is published.
    if (this.#lost) throw this.#lost;
    // Flushes resolve in append order, so this chain publishes and queues in sequence order.
    const done = this.#inOrder.then(() => {
      this.#published = sequence;
      if (end) this.#endRecord = record;
      for (const listener of this.#listeners.keys()) listener(record);
      if (this.#apply && !record.end && !record.transient) this.#queueApply(record);
      else if (this.#unapplied.length === 0 && this.#applyingFrom === undefined) this.#onSettled?.();
    });
    this.#inOrder = done.catch(() => {});
    await done;
    return record;
  }

  /**
   * Resolves once every record published so far is applied to the node's data (applying what
   * waits at once); rejects if one could not be (the data is then behind its log until a restart
   * re-applies it).
   */
  async applied(): Promise<void> {
    const target = this.#queuedUpTo;
    while (this.#appliedUpTo < target && !this.#applyFailed) await this.#drain();
    if (this.#applyFailed) throw this.#applyFailed;
  }

  /** Resolves once no more than `maxUnappliedBytes` waits to be applied (so memory stays bounded). */
  async room(): Promise<void> {
    while (this.#unappliedBytes > this.#maxUnappliedBytes && !this.#applyFailed) await this.#drain();
  }

  /**
   * Follows the log: `listener` gets each record published from now on, `onLost` is told if the
   * log fails (at once if it has). A replay read with `records`/`placed` in the same synchronous
   * step misses nothing and repeats nothing. Returns the stop function.
   */
  follow(listener: RecordListener, onLost?: LostListener): () => void {
    if (this.#lost) {
      onLost?.(this.#lost);
      return () => {};
    }
    this.#listeners.set(listener, onLost);
    return () => this.#listeners.delete(listener);
  }

  /** The published records from `from` (or the first one kept) on, in order. */
  *records(from: number): Generator<LogRecord> {
    for (const { record } of this.placed(from)) yield record;
  }

  /**
   * The published records from `from` (or the first one kept) on, each with its place in the log,
   * read a block at a time; from `place` when given (the place an earlier read gave of a record at
   * or before `from`), so a reader that stopped goes on without reading again what it had read.
   */
  *placed(from: number, place?: LogPlace): Generator<{ record: LogRecord; place: LogPlace }> {
    const first = Math.max(from, this.first);
    // A snapshot: files dropped meanwhile are still read if already open (and were applied).
    const chunks = [...this.#log.chunks];
    const start = place ? chunks.indexOf(place.chunk) : -1;
    for (let i = Math.max(start, 0); i < chunks.length; i++) {
      const chunk = chunks[i] as LogChunk<SequenceSpan>;
      if (chunk.summary.last < first) continue;
      for (const frame of this.#log.framesFrom(chunk, i === start ? place?.offset : 0)) {
        const record = decode(frame.payload);
        if (record.sequence > this.#published) return;
        if (record.sequence >= first) yield { record, place: { chunk, offset: frame.offset } };
      }
    }
  }

  /** Closes the files; what is not applied yet stays for the next open to re-apply (callers wait for `applied()` first). */
  close(): Promise<void> {
    this.#listeners.clear();
    clearTimeout(this.#applyTimer);
    this.#applyTimer = undefined;
    return this.#log.close();
  }

  /** The log failed: what was appended but not flushed is never published; followers are told. */
  #lose(error: Error): void {
    if (this.#lost) return;
    this.#lost = error;
    const lost = [...this.#listeners.values()];
    this.#listeners.clear();
    for (const onLost of lost) onLost?.(error);
  }

  #queueApply(record: LogRecord): void {
    this.#unapplied.push(record);
    this.#unappliedBytes += record.bytes.byteLength;
    this.#queuedUpTo = record.sequence;
    if (this.#applying || this.#applyTimer) return;
    if (this.#applyDelayMs <= 0) void this.#drain();
    else this.#applyTimer = setTimeout(() => void this.#drain(), this.#applyDelayMs).unref();
  }

  /**
   * Applies what waits as one batch, and when it is done the next batch (what came meanwhile) at
   * once; returns the batch under way, so a waiter loops until its own records are applied rather
   * than until writing stops.
   */
  #drain(): Promise<void> {
    clearTimeout(this.#applyTimer);
    this.#applyTimer = undefined;
    if (this.#applying) return this.#applying;
    const apply = this.#apply;
    if (!apply || this.#unapplied.length === 0 || this.#applyFailed) return Promise.resolve();
    const batch = this.#unapplied;
    this.#unapplied = [];
    this.#applyingFrom = (batch[0] as LogRecord).sequence;
    this.#applying = apply(batch)
      .then(
        () => {
          this.#appliedUpTo = (batch.at(-1) as LogRecord).sequence;
          for (const r of batch) this.#unappliedBytes -= r.bytes.byteLength;
          this.#applyingFrom = undefined;
          this.#onSettled?.();
        },
        (e: Error) => {
          // Nothing more is applied (nor taken: see append); a restart re-applies from the log.
          this.#applyFailed ??= e;
          this.#unapplied = [];
          this.#unappliedBytes = 0;
        },
      )
      .finally(() => {
        this.#applying = undefined;
        if (this.#unapplied.length > 0) void this.#drain();
      });
    return this.#applying;
  }
}

const END = 1;
const TRANSIENT = 2;

function encodeRecord(record: LogRecord): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + record.bytes.length);
  out.writeBigUInt64LE(BigInt(record.sequence), 0);
  out.writeUInt8((record.end ? END : 0) | (record.transient ? TRANSIENT : 0), 8);
  out.set(record.bytes, HEADER_BYTES);
  return out;
}

function decode(payload: Buffer): LogRecord {
  const flags = payload.readUInt8(8);
  return {
    sequence: Number(payload.readBigUInt64LE(0)),
    end: (flags & END) !== 0,
    transient: (flags & TRANSIENT) !== 0,
    bytes: payload.subarray(HEADER_BYTES),
  };
}
