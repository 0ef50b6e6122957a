/**
 * The stream of one dataset node: its updates, numbered from 1 in the order they become durable,
 * kept in an append-log (`storage/append-log.ts`) so any subscriber can replay from any sequence
 * and a restart continues the numbering. A sequence is assigned and the record appended in one
 * synchronous step, and records are published in that order once flushed: concurrent writers can
 * never publish out of order or lose a number (Tiled's INCR-then-publish can).
 *
 * The log is also the node's write-ahead log: an update is durable before anyone sees it, and
 * applied to the node's data afterwards, in order; readers of the data wait for what is pending,
 * and after a crash the caller re-applies the updates past what it had applied.
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
  /** Applies the record to the node's data once durable and published (in sequence order; see `applied()`). */
  readonly apply?: (record: LogRecord) => Promise<void>;
}

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
  #applying: Promise<void> = Promise.resolve();
  #applyFailed: Error | undefined;

  /** Opens (creating) the log; every stored record is passed to `onRecord` (to re-apply it). */
  constructor(dir: string, options: AppendLogOptions, onRecord: (record: LogRecord) => void = () => {}) {
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
   * publishes it and queues its application to the node's data (`options.apply`), both in sequence
   * order, and resolves with it. Readers of the data wait for `applied()`. After an end record the
   * log takes nothing more (an Error).
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
      const apply = options.apply;
      if (apply) {
        this.#applying = this.#applying
          .then(() => apply(record))
          .catch((e: Error) => {
            this.#applyFailed ??= e;
          });
      }
    });
    this.#inOrder = done.catch(() => {});
    await done;
    return record;
  }

  /**
   * Resolves once every published record is applied to the node's data; rejects if one could not
   * be (the data is then behind its log until a restart re-applies it).
   */
  async applied(): Promise<void> {
    await this.#applying;
    if (this.#applyFailed) throw this.#applyFailed;
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

  close(): Promise<void> {
    this.#listeners.clear();
    return this.#log.close();
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
