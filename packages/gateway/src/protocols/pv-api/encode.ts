/**
 * Server messages of the `/ws` PV API as bytes. A sample's fields are encoded once per event and
 * shared; each message is a per-name prefix followed by those shared bytes.
 */
import type { DataEvent } from "../../core/events.js";
import { isoMicros } from "../../core/time.js";
import { AlarmStatus, type Sample, Severity } from "../../core/values.js";
import { jsonValue } from "../json-values.js";

/** Alarm reported for a PV whose upstream is disconnected (EPICS: INVALID severity, COMM status). */
export const DISCONNECTED_ALARM = { severity: Severity.INVALID, status: AlarmStatus.COMM } as const;

/** `"value":..,"timestamp":..,"status":..,"severity":..` of a sample. */
function sampleFields(sample: Sample, alarm = sample.alarm): string {
  return (
    `"value":${JSON.stringify(jsonValue(sample.value))},"timestamp":"${isoMicros(sample.timestamp)}",` +
    `"status":${alarm.status},"severity":${alarm.severity}`
  );
}

/**
 * `"value":..,"timestamp":..,"status":..,"severity":..}`: the part of an `update` or batch entry
 * that does not name the PV, encoded once per event and shared by every connection and spelling.
 */
export function sampleBody(event: DataEvent): Buffer {
  return event.encoded("pvapi/sample", () => Buffer.from(`${sampleFields(event.sample)}}`));
}

/** The body reporting a disconnected PV: its last value with INVALID/COMM alarm. */
export function disconnectedBody(last: Sample): Buffer {
  return Buffer.from(`${sampleFields(last, DISCONNECTED_ALARM)}}`);
}

/** The per-name openings that precede a body: `{"pv_name":NAME,` and `{"type":"update","pv_name":NAME,`. */
export class PvNamePrefixes {
  readonly entry: Buffer;
  readonly update: Buffer;

  constructor(name: string) {
    const json = JSON.stringify(name);
    this.entry = Buffer.from(`{"pv_name":${json},`);
    this.update = Buffer.from(`{"type":"update","pv_name":${json},`);
  }
}

/** `initial_values` entry (no pv_name: the key is the name). */
export function initialValue(sample: Sample, connected: boolean): string {
  return `{${sampleFields(sample, connected ? sample.alarm : DISCONNECTED_ALARM)}}`;
}

export const BATCH_HEAD = Buffer.from('{"type":"batch_update","updates":[');
export const COMMA = Buffer.from(",");
