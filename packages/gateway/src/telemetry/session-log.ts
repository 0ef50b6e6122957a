/**
 * The durable data of one session: its records in an append-log (`storage/append-log.ts`), each
 * chunk summarized in memory (time span, channels, kinds) so a read opens only the chunks it
 * needs. Reads see only flushed data: what a reader gets has been published and survives a crash.
 */
import { AppendLog, type AppendLogOptions } from "../storage/append-log.js";
import { type DataRecord, decodeRecords, encodeRecords } from "./records.js";

export type SessionLogOptions = AppendLogOptions;

/** Which records a read wants. */
export interface RecordFilter {
  readonly kind: DataRecord["kind"];
  /** For bursts and rows: whether a channel is wanted (a row matches if any of its channels is). */
  readonly channel?: (id: number) => boolean;
  /** Inclusive time span; a record overlapping it matches. */
  readonly start: bigint;
  readonly end: bigint;
}

/** What one chunk holds, so a read can skip it. */
class ChunkSummary {
  minTime: bigint | undefined;
  maxTime: bigint | undefined;
  readonly channels = new Set<number>();
  readonly kinds = new Set<DataRecord["kind"]>();

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

export class SessionLog {
  readonly #log: AppendLog<ChunkSummary>;

  /** Opens (creating) the log in `dir`; every intact stored record is passed to `onRecord`. */
  constructor(dir: string, options: SessionLogOptions, onRecord: (record: DataRecord) => void = () => {}) {
    this.#log = new AppendLog(
      dir,
      options,
      () => new ChunkSummary(),
      (payload, chunk) => {
        for (const record of decodeRecords(payload)) {
          chunk.summary.note(record);
          onRecord(record);
        }
      },
    );
  }

  /** Bytes stored, all chunks. */
  get bytes(): number {
    return this.#log.bytes;
  }

  /** Appends the records as one frame (all or, after a crash, none). Not durable until `flush()`. */
  append(records: readonly DataRecord[]): void {
    if (records.length === 0) return;
    const chunk = this.#log.append(encodeRecords(records));
    for (const r of records) chunk.summary.note(r);
  }

  /** Resolves once everything appended so far is on disk (and readable). */
  flush(): Promise<void> {
    return this.#log.flush();
  }

  /** Flushed records matching `filter`, chunk by chunk in the order they were written. */
  *read(filter: RecordFilter): Generator<DataRecord> {
    for (const chunk of this.#log.chunks) {
      if (!chunk.summary.mayHold(filter)) continue;
      for (const payload of this.#log.payloads(chunk)) {
        for (const r of decodeRecords(payload)) {
          if (r.kind !== filter.kind || r.end < filter.start || r.start > filter.end) continue;
          if (filter.channel && r.kind !== "event" && !r.channelIds.some(filter.channel)) continue;
          yield r;
        }
      }
    }
  }

  /** Closes the files once pending writes are on disk. */
  close(): Promise<void> {
    return this.#log.close();
  }
}
