/**
 * The body of a data append: a protobuf `*List` message (`application/x-protobuf`), or the same in
 * proto3 JSON (`application/json`: int64 as strings of digits, bytes as base64) where an item may
 * give `values` (numbers) instead of a packed `buffer`, and a timestamped burst `timestamps`
 * instead of `timestampDeltas` and its scale. See docs/rta.md.
 */
import {
  EventSchema,
  EventsListSchema,
  encodeSamples,
  encodeTimestamps,
  fromBinary,
  fromJson,
  listItems,
  PeriodicDataListSchema,
  PeriodicDataSchema,
  RowDataListSchema,
  RowDataSchema,
  TimestampedDataListSchema,
  TimestampedDataSchema,
} from "@beamgate/rta";
import { BeamgateError } from "../../errors.js";
import { toNanos } from "../../telemetry/big-json.js";
import type { ChannelMap } from "../../telemetry/config.js";
import { type DataItems, type DataKind, MAX_BURST_SAMPLES } from "../../telemetry/ingest.js";

const PROTOBUF_TYPES = new Set([
  "application/x-protobuf",
  "application/protobuf",
  "application/vnd.google.protobuf",
  "application/vnd.mat.protobuf",
  "application/octet-stream",
]);

/** The list field of each kind, as proto3 JSON names it. */
const JSON_FIELD: Record<DataKind, string> = {
  periodic: "periodicData",
  timestamped: "timestampedData",
  row: "rowData",
  events: "events",
};

/** Int64 fields a JSON item may carry (checked for precision before protobuf's parser sees them). */
const INT64_FIELDS = ["startTimestamp", "timestamp", "interval", "timestampDeltasScale"];

export function decodeDataBody(
  kind: DataKind,
  body: Buffer,
  contentType: string | undefined,
  channels: ChannelMap,
): DataItems {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  try {
    if (type === "application/json") return fromJsonBody(kind, body, channels);
    if (PROTOBUF_TYPES.has(type)) return fromProtobuf(kind, body);
  } catch (e) {
    if (e instanceof BeamgateError) throw e;
    throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", `Body is not a valid ${kind} list: ${(e as Error).message}`);
  }
  throw new BeamgateError(
    "BG_ERR_TELEMETRY_INVALID",
    `Content-Type must be application/x-protobuf or application/json, not "${type || "(none)"}"`,
  );
}

/**
 * The items, each decoded for its checks and kept as sent (`raw`) so it is stored without being
 * encoded again; an item carrying fields this server does not know is encoded again without them.
 */
function fromProtobuf(kind: DataKind, body: Buffer): DataItems {
  const bytes = listItems(body);
  const asSent = <T extends { $unknown?: unknown[] }>(items: T[]) => ({
    items,
    raw: bytes.map((b, i) => (items[i]?.$unknown?.length ? undefined : b)),
  });
  switch (kind) {
    case "periodic":
      return { kind, ...asSent(bytes.map((b) => fromBinary(PeriodicDataSchema, b))) };
    case "timestamped":
      return { kind, ...asSent(bytes.map((b) => fromBinary(TimestampedDataSchema, b))) };
    case "row":
      return { kind, ...asSent(bytes.map((b) => fromBinary(RowDataSchema, b))) };
    case "events":
      return { kind, ...asSent(bytes.map((b) => fromBinary(EventSchema, b))) };
  }
}

function fromJsonBody(kind: DataKind, body: Buffer, channels: ChannelMap): DataItems {
  const json = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  const items = json?.[JSON_FIELD[kind]];
  if (!Array.isArray(items)) throw new Error(`expected {"${JSON_FIELD[kind]}": [...]}`);
  items.forEach((item, i) => {
    if (typeof item !== "object" || item === null) throw new Error(`item ${i} is not an object`);
    expandItem(kind, item as Record<string, unknown>, channels, i);
  });
  switch (kind) {
    case "periodic":
      return { kind, items: fromJson(PeriodicDataListSchema, json as never).periodicData };
    case "timestamped":
      return { kind, items: fromJson(TimestampedDataListSchema, json as never).timestampedData };
    case "row":
      return { kind, items: fromJson(RowDataListSchema, json as never).rowData };
    case "events":
      return { kind, items: fromJson(EventsListSchema, json as never).events };
  }
}

/** Replaces the JSON conveniences (`values`, `timestamps`) by the protobuf fields; checks int64 precision. */
function expandItem(kind: DataKind, item: Record<string, unknown>, channels: ChannelMap, i: number): void {
  for (const field of INT64_FIELDS) if (field in item) item[field] = `${toNanos(item[field], `item ${i} ${field}`)}`;
  if (Array.isArray(item.timestampDeltas)) {
    item.timestampDeltas = item.timestampDeltas.map((d) => `${toNanos(d, `item ${i} timestampDeltas`)}`);
  }
  if ("timestamps" in item) {
    if (!Array.isArray(item.timestamps)) throw new Error(`item ${i}: timestamps must be an array`);
    if (item.timestamps.length > MAX_BURST_SAMPLES) {
      throw new Error(`item ${i}: ${item.timestamps.length} samples in one burst (at most ${MAX_BURST_SAMPLES})`);
    }
    const encoded = encodeTimestamps(item.timestamps.map((t) => toNanos(t, `item ${i} timestamps`)));
    item.startTimestamp = `${encoded.start}`;
    item.timestampDeltasScale = `${encoded.scale}`;
    item.timestampDeltas = encoded.deltas.map(String);
    delete item.timestamps;
  }
  if (!("values" in item)) return;
  const values = item.values;
  delete item.values;
  if (!Array.isArray(values) || !values.every((v) => typeof v === "number")) {
    throw new Error(`item ${i}: values must be an array of numbers`);
  }
  if (values.length > MAX_BURST_SAMPLES)
    throw new Error(`item ${i}: ${values.length} samples in one burst (at most ${MAX_BURST_SAMPLES})`);
  const typeOf = (id: unknown) => {
    const channel = typeof id === "number" ? channels.channels.get(id) : undefined;
    if (!channel) throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", `${kind}[${i}]: unknown channel ${String(id)}`);
    return channel.type;
  };
  if (kind === "row") {
    const ids = Array.isArray(item.channelIds) ? item.channelIds : [];
    if (ids.length !== values.length) throw new Error(`item ${i}: ${values.length} values for ${ids.length} channels`);
    const parts = ids.map((id, k) => encodeSamples(typeOf(id), [values[k] as number]));
    item.buffer = Buffer.concat(parts).toString("base64");
    return;
  }
  item.buffer = Buffer.from(encodeSamples(typeOf(item.channelId), values)).toString("base64");
  if (kind === "periodic" && !("samples" in item)) item.samples = values.length;
}
