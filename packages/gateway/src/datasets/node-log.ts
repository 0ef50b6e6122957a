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
 */
import { AppendLog, type AppendLogOptions } from "../storage/append-log.js";

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
}

const DEFAULT_MAX_UNAPPLIED_BYTES = 64 * 1024 * 1024;

/** Told, in order, of each record once durable. Must not throw. */
export type RecordListener = (record: LogRecord) => void;

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
  readonly #log: AppendLog<SequenceSpan>;
  readonly #listeners = new Set<RecordListener>();
  /** The last sequence assigned (durable or not), and the last one published. */
  #assigned = 0;
  #published = 0;
  #ended = false;
  #inOrder: Promise<void> = Promise.resolve();
  readonly #apply: Applier | undefined;
  readonly #applyDelayMs: number;
  readonly #maxUnappliedBytes: number;
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
    this.#apply = options.apply;
    this.#applyDelayMs = options.applyDelayMs ?? 0;
    this.#maxUnappliedBytes = options.maxUnappliedBytes ?? DEFAULT_MAX_UNAPPLIED_BYTES;
    this.#log = new AppendLog(
      dir,
      options,
      () => new SequenceSpan(),
      (payload, chunk) => {
        const record = decode(payload);
        chunk.summary.note(record.sequence);
        this.#assigned = this.#published = record.sequence;
        if (record.end) this.#ended = true;
        onRecord(record);
      },
    );
  }

  /** The sequence of the last published record (0: none yet). */
  get current(): number {
    return this.#published;
  }

  /** Whether the producer ended the stream. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Assigns the next sequence and appends the record `encode(sequence)` returns; once it is durable,
   * publishes it and queues its application to the node's data, both in sequence order, and
   * resolves with it. Readers of the data wait for `applied()`; writers should wait for `room()`
   * first. After an end record the log takes nothing more (an Error).
   */
  async append(encode: (sequence: number) => Uint8Array, options: AppendOptions = {}): Promise<LogRecord> {
    if (this.#ended) throw new Error("the stream has ended");
    if (this.#applyFailed) throw this.#applyFailed;
    const sequence = this.#assigned + 1;
    const end = options.end ?? false;
    const record: LogRecord = {
      sequence,
      end,
      transient: options.transient ?? false,
      bytes: end ? new Uint8Array(0) : encode(sequence),
    };
    const chunk = this.#log.append(encodeRecord(record));
    this.#assigned = sequence;
    chunk.summary.note(sequence);
    if (end) this.#ended = true;
    await this.#log.flush();
    // Flushes resolve in append order, so this chain publishes and queues in sequence order.
    const done = this.#inOrder.then(() => {
      this.#published = sequence;
      for (const listener of this.#listeners) listener(record);
      if (this.#apply && !record.end && !record.transient) this.#queueApply(record);
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
   * Follows the log: `replayFrom` (when given) gets the published records from that sequence on
   * (0 or 1: all), synchronously, then `listener` gets each new one. Returns the stop function.
   */
  follow(listener: RecordListener, replayFrom?: number): () => void {
    if (replayFrom !== undefined) for (const r of this.records(Math.max(1, replayFrom))) listener(r);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The published records from `from` on, in order. */
  *records(from: number): Generator<LogRecord> {
    for (const chunk of this.#log.chunks) {
      if (chunk.summary.last < from) continue;
      for (const payload of this.#log.payloads(chunk)) {
        const record = decode(payload);
        if (record.sequence >= from && record.sequence <= this.#published) yield record;
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

  #queueApply(record: LogRecord): void {
    this.#unapplied.push(record);
    this.#unappliedBytes += record.bytes.byteLength;
    this.#queuedUpTo = record.sequence;
    if (this.#applying || this.#applyTimer) return;
    if (this.#applyDelayMs <= 0) void this.#drain();
    else this.#applyTimer = setTimeout(() => void this.#drain(), this.#applyDelayMs).unref();
  }

  /** Applies what waits, batch after batch until none is left; the batch under way if there is one. */
  #drain(): Promise<void> {
    clearTimeout(this.#applyTimer);
    this.#applyTimer = undefined;
    if (this.#applying) return this.#applying;
    const apply = this.#apply;
    if (!apply || this.#unapplied.length === 0) return Promise.resolve();
    this.#applying = (async () => {
      while (this.#unapplied.length > 0 && !this.#applyFailed) {
        const batch = this.#unapplied;
        this.#unapplied = [];
        try {
          await apply(batch);
          this.#appliedUpTo = (batch.at(-1) as LogRecord).sequence;
          for (const r of batch) this.#unappliedBytes -= r.bytes.byteLength;
        } catch (e) {
          // Nothing more is applied (nor taken: see append); a restart re-applies from the log.
          this.#applyFailed ??= e as Error;
          this.#unapplied = [];
          this.#unappliedBytes = 0;
        }
      }
    })().finally(() => {
      this.#applying = undefined;
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
