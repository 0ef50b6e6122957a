/**
 * Checks data written to a session against its channels and turns it into records: every item of
 * a write is checked before any is stored, so a bad write stores nothing. The checks: known
 * channel of the right source, sample buffer a whole number of samples of the channel's width,
 * counts and intervals consistent, at most 10,000 samples a burst, no burst overlapping data the
 * channel has (or another burst of the same write), events defined by a bound config.
 */
import {
  type Event,
  EventSchema,
  type PeriodicData,
  PeriodicDataSchema,
  type RowData,
  RowDataSchema,
  type TimestampedData,
  TimestampedDataSchema,
  toBinary,
} from "@beamgate/rta";
import type { ChannelMap, ChannelSource, SessionChannel } from "./config.js";
import type { ChannelCoverage } from "./coverage.js";
import type { DataRecord } from "./records.js";

/** RTA's hard limit of samples in one burst. */
export const MAX_BURST_SAMPLES = 10_000;
const MAX_EVENT_VALUES = 1024;
const MAX_STATUS_TEXT = 4096;
/** Times are int64 ns: a burst's last sample must be one too (the store writes it as int64). */
const INT64_MAX = 2n ** 63n - 1n;

export type DataKind = "periodic" | "timestamped" | "row" | "events";
/** Items of one kind; `raw`, when given, is each item's protobuf encoding as received (stored as is). */
export type DataItems = (
  | { readonly kind: "periodic"; readonly items: readonly PeriodicData[] }
  | { readonly kind: "timestamped"; readonly items: readonly TimestampedData[] }
  | { readonly kind: "row"; readonly items: readonly RowData[] }
  | { readonly kind: "events"; readonly items: readonly Event[] }
) & { readonly raw?: readonly (Uint8Array | undefined)[] };

/** A write that cannot be stored; `message` names the item and what is wrong. */
export class IngestError extends Error {
  constructor(
    message: string,
    /** `conflict` (HTTP 409) for overlaps; `invalid` (400) otherwise. */
    readonly kind: "invalid" | "conflict" = "invalid",
  ) {
    super(message);
  }
}

/**
 * The records of a write, or an IngestError for its first bad item. Adds the bursts' spans to
 * `coverage` only when every item passed.
 */
export function toRecords(data: DataItems, channels: ChannelMap, coverage: ChannelCoverage): DataRecord[] {
  const records: DataRecord[] = [];
  data.items.forEach((item, i) => {
    const where = `${data.kind}[${i}]`;
    try {
      records.push(toRecord(data.kind, item, channels, data.raw?.[i]));
    } catch (e) {
      throw new IngestError(`${where}: ${(e as Error).message}`);
    }
  });
  checkOverlaps(records, coverage, data.kind);
  for (const r of records) {
    if (r.kind === "event") continue;
    for (const id of r.channelIds) coverage.add(id, r.start, r.end, joinGap(channels.channels.get(id)));
  }
  return records;
}

/** Fields this server does not know are not stored: they would go to every reader and follower. */
const WITHOUT_UNKNOWN = { writeUnknownFields: false };

/** The checked item as a record: its bytes as received, or encoded here (items parsed from JSON). */
function toRecord(
  kind: DataKind,
  item: DataItems["items"][number],
  channels: ChannelMap,
  raw?: Uint8Array,
): DataRecord {
  switch (kind) {
    case "periodic": {
      const m = item as PeriodicData;
      return { ...periodic(m, channels), body: raw ?? toBinary(PeriodicDataSchema, m, WITHOUT_UNKNOWN) };
    }
    case "timestamped": {
      const m = item as TimestampedData;
      return { ...timestamped(m, channels), body: raw ?? toBinary(TimestampedDataSchema, m, WITHOUT_UNKNOWN) };
    }
    case "row": {
      const m = item as RowData;
      return { ...row(m, channels), body: raw ?? toBinary(RowDataSchema, m, WITHOUT_UNKNOWN) };
    }
    case "events": {
      const m = item as Event;
      return { ...event(m, channels), body: raw ?? toBinary(EventSchema, m, WITHOUT_UNKNOWN) };
    }
  }
}

type Span = Omit<DataRecord, "body">;

function channelOf(channels: ChannelMap, id: number, source: ChannelSource): SessionChannel {
  const channel = channels.channels.get(id);
  if (!channel) throw new Error(`unknown channel ${id} (0x${id.toString(16).toUpperCase()})`);
  if (channel.source !== source) throw new Error(`channel ${id} is a ${channel.source} channel, not ${source}`);
  return channel;
}

/** The number of samples in a buffer of one channel's width. */
function sampleCount(buffer: Uint8Array, channel: SessionChannel): number {
  if (buffer.length % channel.width !== 0) {
    throw new Error(
      `buffer of ${buffer.length} bytes is not a whole number of ${channel.type} samples (${channel.width} bytes each)`,
    );
  }
  const n = buffer.length / channel.width;
  if (n === 0) throw new Error("no samples");
  if (n > MAX_BURST_SAMPLES) throw new Error(`${n} samples in one burst (at most ${MAX_BURST_SAMPLES})`);
  return n;
}

function periodic(m: PeriodicData, channels: ChannelMap): Span {
  const channel = channelOf(channels, m.channelId, "periodic");
  const n = sampleCount(m.buffer, channel);
  if (m.samples !== n) throw new Error(`samples is ${m.samples} but the buffer holds ${n}`);
  if (m.interval !== channel.interval) {
    throw new Error(`interval ${m.interval} ns differs from channel ${m.channelId}'s ${channel.interval} ns`);
  }
  const end = lastTime(m.startTimestamp, BigInt(n - 1) * m.interval);
  return span("periodic", [m.channelId], m.startTimestamp, end);
}

function timestamped(m: TimestampedData, channels: ChannelMap): Span {
  const channel = channelOf(channels, m.channelId, "timestamped");
  const n = sampleCount(m.buffer, channel);
  if (m.timestampDeltas.length !== n) {
    throw new Error(`${m.timestampDeltas.length} timestamp deltas for ${n} samples`);
  }
  if (m.timestampDeltas[0] !== 0n) throw new Error("the first timestamp delta must be 0");
  if (n > 1 && m.timestampDeltasScale <= 0n) throw new Error("timestamp_deltas_scale must be positive");
  let sum = 0n;
  for (const d of m.timestampDeltas) {
    if (d < 0n) throw new Error("timestamp deltas must not be negative (samples in time order)");
    sum += d;
  }
  const end = lastTime(m.startTimestamp, sum * m.timestampDeltasScale);
  return span("timestamped", [m.channelId], m.startTimestamp, end);
}

function row(m: RowData, channels: ChannelMap): Span {
  if (m.channelIds.length === 0) throw new Error("a row names at least one channel");
  if (m.channelIds.length > 4096) throw new Error(`${m.channelIds.length} channels in one row (at most 4096)`);
  let width = 0;
  const seen = new Set<number>();
  for (const id of m.channelIds) {
    if (seen.has(id)) throw new Error(`channel ${id} appears twice in one row`);
    seen.add(id);
    width += channelOf(channels, id, "row").width;
  }
  if (m.buffer.length !== width) {
    throw new Error(`buffer of ${m.buffer.length} bytes, but the row's channels take ${width}`);
  }
  return span("row", m.channelIds, m.timestamp, m.timestamp);
}

function event(m: Event, channels: ChannelMap): Span {
  if (!channels.events.has(`${m.appName}/${m.eventDefinitionId}`)) {
    throw new Error(`no event ${m.eventDefinitionId} is defined for app "${m.appName}" by the session's configs`);
  }
  if (m.rawData.length > MAX_EVENT_VALUES)
    throw new Error(`${m.rawData.length} raw values (at most ${MAX_EVENT_VALUES})`);
  if (m.statusText.length > MAX_STATUS_TEXT) throw new Error(`status text longer than ${MAX_STATUS_TEXT}`);
  return span("event", [], m.timestamp, m.timestamp);
}

/** The time of a burst's last sample, `span` after its first; an Error past int64. */
function lastTime(start: bigint, span: bigint): bigint {
  const end = start + span;
  if (end > INT64_MAX) throw new Error(`the burst's last sample (${end} ns) is past int64`);
  return end;
}

function span(kind: DataRecord["kind"], channelIds: readonly number[], start: bigint, end: bigint): Span {
  return { kind, channelIds: [...channelIds], start, end };
}

/** Refuses a write whose bursts overlap stored data or each other (per channel). */
function checkOverlaps(records: DataRecord[], coverage: ChannelCoverage, kind: DataKind): void {
  const spans: { id: number; start: bigint; end: bigint; index: number }[] = [];
  records.forEach((r, index) => {
    for (const id of r.channelIds) {
      if (coverage.overlaps(id, r.start, r.end)) {
        throw new IngestError(
          `${kind}[${index}]: channel ${id} already has data between ${r.start} and ${r.end} ns`,
          "conflict",
        );
      }
      spans.push({ id, start: r.start, end: r.end, index });
    }
  });
  spans.sort((a, b) => a.id - b.id || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 1; i < spans.length; i++) {
    const a = spans[i - 1] as (typeof spans)[number];
    const b = spans[i] as (typeof spans)[number];
    if (a.id === b.id && b.start <= a.end) {
      throw new IngestError(`${kind}[${b.index}]: overlaps ${kind}[${a.index}] on channel ${b.id}`, "conflict");
    }
  }
}

/** Spans of a periodic channel one interval apart are continuous; others join only when touching. */
function joinGap(channel: SessionChannel | undefined): bigint {
  return channel?.interval ?? 1n;
}
