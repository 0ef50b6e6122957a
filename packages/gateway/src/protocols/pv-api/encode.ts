/**
 * Server messages of the `/ws` PV API as bytes. An `update` and a `batch_update` entry are
 * encoded once per event and PV name, and shared by every connection that watches that name.
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

/** The `updates` entry of a batch for one PV. */
export function entryBytes(name: string, event: DataEvent): Buffer {
  return event.encoded(`pvapi/entry/${name}`, () =>
    Buffer.from(`{"pv_name":${JSON.stringify(name)},${sampleFields(event.sample)}}`),
  );
}

/** A whole `update` message for one PV. */
export function updateBytes(name: string, event: DataEvent): Buffer {
  return event.encoded(`pvapi/update/${name}`, () =>
    Buffer.from(`{"type":"update","pv_name":${JSON.stringify(name)},${sampleFields(event.sample)}}`),
  );
}

/** An entry reporting a disconnected PV: its last value with INVALID/COMM alarm. */
export function disconnectedEntry(name: string, last: Sample): Buffer {
  return Buffer.from(`{"pv_name":${JSON.stringify(name)},${sampleFields(last, DISCONNECTED_ALARM)}}`);
}

/** `initial_values` entry (no pv_name: the key is the name). */
export function initialValue(sample: Sample, connected: boolean): string {
  return `{${sampleFields(sample, connected ? sample.alarm : DISCONNECTED_ALARM)}}`;
}

export const BATCH_HEAD = Buffer.from('{"type":"batch_update","updates":[');
export const COMMA = Buffer.from(",");
