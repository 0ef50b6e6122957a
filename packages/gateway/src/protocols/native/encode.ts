/**
 * The native protocol's server messages as field maps, independent of the envelope. Topic events
 * are encoded once per envelope (cached on the event) and shared by all subscribers.
 */
import type { DataEvent, Gap, MetaEvent, StatusEvent, TopicEvent } from "../../core/events.js";
import { isoMicros } from "../../core/time.js";
import { arrayDtype, isNumericArray, type NumericArray } from "../../core/values.js";
import { jsonValue } from "../json-values.js";
import type { Envelope, Fields, SharedBody } from "./envelope.js";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The shared body of a topic event under `envelope`, encoded at most once per envelope. */
export function sharedEvent(event: TopicEvent, envelope: Envelope): SharedBody {
  return event.encoded(envelope.cacheKey, (e: TopicEvent) => envelope.shared(eventFields(e, envelope)));
}

function eventFields(event: TopicEvent, envelope: Envelope): Fields {
  switch (event.kind) {
    case "meta":
      return metaFields(event);
    case "status":
      return statusFields(event);
    case "data":
      return dataFields(event, envelope.name === "msgpack");
  }
}

function metaFields({ meta, topic }: MetaEvent): Fields {
  const f: Fields = { type: "meta", topic: topic.uri, kind: meta.kind, epoch: topic.epoch, dtype: meta.dtype };
  if (meta.count !== undefined) f.count = meta.count;
  if (meta.units !== undefined) f.units = meta.units;
  if (meta.precision !== undefined) f.precision = meta.precision;
  if (meta.display) f.display = { low: meta.display.low, high: meta.display.high };
  if (meta.control) f.control = { low: meta.control.low, high: meta.control.high };
  if (meta.alarmLimits) f.alarm_limits = { ...meta.alarmLimits };
  if (meta.enumLabels) f.enum_labels = [...meta.enumLabels];
  if (meta.description !== undefined) f.description = meta.description;
  return f;
}

function statusFields({ status }: StatusEvent): Fields {
  return {
    type: "status",
    connected: status.connected,
    read_access: status.readAccess,
    write_access: status.writeAccess,
  };
}

function dataFields({ sequence, sample }: DataEvent, binary: boolean): Fields {
  const f: Fields = { type: "data", sequence, timestamp: isoMicros(sample.timestamp) };
  const v = sample.value;
  if (isNumericArray(v)) {
    f.dtype = arrayDtype(v);
    f.shape = [v.length];
    f.value = binary ? littleEndianBytes(v) : jsonValue(v);
  } else {
    f.value = binary ? v : jsonValue(v);
  }
  f.severity = sample.alarm.severity;
  f.status = sample.alarm.status;
  return f;
}

export function gapFields(gap: Gap): Fields {
  const f: Fields = { type: "skipped", reason: gap.reason, from_sequence: gap.from };
  if (gap.to !== undefined) {
    f.to_sequence = gap.to;
    f.count = gap.to - gap.from + 1;
  }
  return f;
}

function littleEndianBytes(v: NumericArray): Uint8Array {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (LITTLE_ENDIAN || v.BYTES_PER_ELEMENT === 1) return bytes;
  const swapped = new Uint8Array(bytes);
  const w = v.BYTES_PER_ELEMENT;
  for (let i = 0; i < swapped.length; i += w) swapped.subarray(i, i + w).reverse();
  return swapped;
}
