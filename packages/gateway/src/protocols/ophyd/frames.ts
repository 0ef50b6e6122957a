/**
 * The frames ophyd-websocket pushes (specs/ophyd-websocket.md): value frames and meta ("connection
 * info") frames, in the real server's key order. A value frame is a per-signal prefix naming the
 * PV (`{"pv":"X",`) or the device signal (`{"device":"m1","signal":"m1_user_readback",`) followed
 * by a body encoded once per event and shared by every socket.
 */
import type { DataEvent } from "../../core/events.js";
import { isNumericArray, type Meta, type Sample, type Status, type Value } from "../../core/values.js";
import { jsonValue } from "../json-values.js";

/** What a socket is told of a signal's connection: the topic's status, write access off for read-only holders. */
export interface Access {
  readonly connected: boolean;
  readonly readAccess: boolean;
  readonly writeAccess: boolean;
}

export function accessOf(status: Status, readOnly: boolean): Access {
  return { connected: status.connected, readAccess: status.readAccess, writeAccess: status.writeAccess && !readOnly };
}

/**
 * A value as ophyd-websocket's clients read it: numbers, arrays of numbers, strings; enums as their
 * index; a CHAR waveform as the string it holds (up to its first NUL). NaN and ±Infinity, which
 * JSON cannot carry, become `null`.
 */
export function ophydValue(value: Value, meta: Meta | undefined): unknown {
  if (value instanceof Uint8Array && meta?.dtype === "uint8" && meta.count !== undefined) {
    const end = value.indexOf(0);
    return Buffer.from(value.buffer, value.byteOffset, end === -1 ? value.length : end).toString("latin1");
  }
  return isNumericArray(value) || typeof value === "number" ? jsonValue(value) : value;
}

/** Epoch seconds as a float, as Python's `time.time()` gives them. */
export const epochSeconds = (ms: number) => ms / 1000;

const flags = (a: Access) =>
  `"connected":${a.connected},"read_access":${a.readAccess},"write_access":${a.writeAccess}}`;

/** `"value":..,"timestamp":..,"connected":..,"read_access":..,"write_access":..}`, shared per event and access. */
export function valueBody(event: DataEvent, meta: Meta | undefined, access: Access): Buffer {
  const key = `ophyd/value/${+access.connected}${+access.readAccess}${+access.writeAccess}`;
  return event.encoded(key, () => Buffer.from(sampleFields(event.sample, meta, access)));
}

function sampleFields(sample: Sample, meta: Meta | undefined, access: Access): string {
  return (
    `"value":${JSON.stringify(ophydValue(sample.value, meta))},` +
    `"timestamp":${epochSeconds(sample.timestamp)},${flags(access)}`
  );
}

/** Who a frame is about: a PV of pv-socket, or a signal of a device-socket device. */
export type Subject = { readonly pv: string } | { readonly device: string; readonly signal: string };

/** The opening of a value frame, `{"pv":"X",` or `{"device":"D","signal":"S",`. */
export function valuePrefix(subject: Subject): Buffer {
  const json = JSON.stringify(subject);
  return Buffer.from(`${json.slice(0, -1)},`);
}

/**
 * The meta frame: connection and access, the last sample's time and alarm, precision, control
 * limits, units and enum labels, then `sub_type`, `obj` and the subject's keys. A read-only
 * holder's frame has no `setpoint_*` keys, as the real server's read-only signals have none.
 */
export function metaFrame(
  subject: Subject,
  obj: string,
  access: Access,
  meta: Meta | undefined,
  last: Sample | undefined,
  readOnly: boolean,
): string {
  const isEnum = meta?.dtype === "enum";
  const limits = isEnum ? undefined : (meta?.control ?? meta?.display);
  const setpoint = readOnly ? {} : { setpoint_timestamp: null, setpoint_status: null, setpoint_severity: null };
  return JSON.stringify({
    connected: access.connected,
    read_access: access.readAccess,
    write_access: access.writeAccess,
    timestamp: last ? epochSeconds(last.timestamp) : null,
    status: last ? last.alarm.status : null,
    severity: last ? last.alarm.severity : null,
    precision: isEnum ? null : (meta?.precision ?? null),
    ...setpoint,
    lower_ctrl_limit: limits ? limits.low : null,
    upper_ctrl_limit: limits ? limits.high : null,
    units: isEnum ? null : (meta?.units ?? null),
    enum_strs: meta?.enumLabels ?? null,
    ...(readOnly ? {} : { setpoint_precision: null }),
    sub_type: "meta",
    obj,
    ...subject,
  });
}
