/**
 * One session held by the telemetry store: its Session JSON, the channels its config bindings give
 * it, its data log and coverage, its time range, and who follows it live. The data log of an ended
 * session is opened on first read only, so a store with many old sessions starts quickly.
 */
import { join } from "node:path";
import { writeFileDurably } from "../storage/atomic-file.js";
import { ChannelMap, type TelemetryConfig } from "./config.js";
import { ChannelCoverage } from "./coverage.js";
import { PublishedRecord } from "./published.js";
import type { DataRecord } from "./records.js";
import { isLive, type Session, type TimeRange } from "./session.js";
import { type RecordFilter, SessionLog, type SessionLogOptions } from "./session-log.js";

/** Told, in order, what happens to a session once it is durable. Must not throw. */
export interface SessionListener {
  onData?(records: readonly PublishedRecord[]): void;
  /** The Session JSON changed (state, markers, details, bindings). */
  onSession?(session: Session): void;
}

export class StoredSession {
  #session: Session;
  readonly #dir: string;
  readonly #logOptions: SessionLogOptions;
  #channels = new ChannelMap();
  #log: SessionLog | undefined;
  readonly #coverage = new ChannelCoverage();
  #timeRange: TimeRange | undefined;
  readonly listeners = new Set<SessionListener>();
  /** Set while the session moves to an ended state: it takes no more data. */
  ending = false;
  #updates: Promise<unknown> = Promise.resolve();
  /** Topics recorded into this session (beamgate's own; `recorder.ts`). */
  record: readonly string[] | undefined;

  constructor(dir: string, session: Session, configs: (id: string) => TelemetryConfig, logOptions: SessionLogOptions) {
    this.#dir = dir;
    this.#session = session;
    this.#logOptions = logOptions;
    this.#timeRange = session.timeRange;
    for (const b of session.configBindings) this.#channels.add(b, configs(b.identifier));
    // A live session's log is opened now: its coverage and time range come from its data.
    if (isLive(session.state) || !session.timeRange) this.#openLog();
  }

  get session(): Session {
    const range = this.#timeRange;
    return range ? { ...this.#session, timeRange: range } : this.#session;
  }

  get channels(): ChannelMap {
    return this.#channels;
  }

  get coverage(): ChannelCoverage {
    return this.#coverage;
  }

  get timeRange(): TimeRange | undefined {
    return this.#timeRange;
  }

  get log(): SessionLog {
    return this.#openLog();
  }

  /** Runs `update` after the session's previous updates have finished: one change at a time. */
  serialized<T>(update: () => Promise<T>): Promise<T> {
    const run = this.#updates.then(update, update);
    this.#updates = run.catch(() => {});
    return run;
  }

  /** Replaces the Session JSON (durably), with the channel map its bindings give. */
  replace(session: Session, channels: ChannelMap = this.#channels): void {
    const ended = !isLive(session.state);
    const range = this.#timeRange;
    const persisted: Session = ended && range ? { ...session, timeRange: range } : withoutRange(session);
    // Times as strings of digits: JSON.parse would round integers past 2^53.
    const text = JSON.stringify({ ...persisted, record: this.record }, (_k, v) => (typeof v === "bigint" ? `${v}` : v));
    writeFileDurably(join(this.#dir, "session.json"), text);
    this.#session = persisted;
    this.#channels = channels;
  }

  /** Appends records (not yet durable; see `publish`). */
  append(records: readonly DataRecord[]): void {
    this.log.append(records);
  }

  /** Durable records, told to the listeners. */
  publish(records: readonly DataRecord[]): void {
    for (const r of records) this.#widen(r);
    const published = records.map((r) => new PublishedRecord(r));
    for (const l of this.listeners) l.onData?.(published);
  }

  announce(): void {
    const session = this.session;
    for (const l of this.listeners) l.onSession?.(session);
  }

  read(filter: RecordFilter): Iterable<DataRecord> {
    return this.log.read(filter);
  }

  close(): Promise<void> {
    return this.#log?.close() ?? Promise.resolve();
  }

  #openLog(): SessionLog {
    this.#log ??= new SessionLog(this.#dir, this.#logOptions, (r) => {
      this.#widen(r);
      if (r.kind === "event") return;
      for (const id of r.channelIds) {
        if (!this.#coverage.overlaps(id, r.start, r.end)) {
          this.#coverage.add(id, r.start, r.end, this.#channels.channels.get(id)?.interval ?? 1n);
        }
      }
    });
    return this.#log;
  }

  #widen(r: DataRecord): void {
    const range = this.#timeRange;
    if (range && r.start >= range.startTime && r.end <= range.endTime) return;
    this.#timeRange = {
      startTime: range && range.startTime < r.start ? range.startTime : r.start,
      endTime: range && range.endTime > r.end ? range.endTime : r.end,
    };
  }
}

function withoutRange(session: Session): Session {
  const { timeRange: _, ...rest } = session;
  return rest;
}
