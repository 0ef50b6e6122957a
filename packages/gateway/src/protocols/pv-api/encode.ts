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

/**
 * The messages about one PV name. An `update` and a batch entry are encoded once per event and
 * name (cached on the event under keys made once here) and shared by every connection.
 */
export class PvNameEncoder {
  readonly #name: string;
  readonly #entryKey: string;
  readonly #updateKey: string;

  constructor(name: string) {
    this.#name = JSON.stringify(name);
    this.#entryKey = `pvapi/entry/${name}`;
    this.#updateKey = `pvapi/update/${name}`;
  }

  /** The `updates` entry of a batch. */
  entry(event: DataEvent): Buffer {
    return event.encoded(this.#entryKey, () => Buffer.from(`{"pv_name":${this.#name},${sampleFields(event.sample)}}`));
  }

  /** A whole `update` message. */
  update(event: DataEvent): Buffer {
    return event.encoded(this.#updateKey, () =>
      Buffer.from(`{"type":"update","pv_name":${this.#name},${sampleFields(event.sample)}}`),
    );
  }

  /** An entry reporting a disconnected PV: its last value with INVALID/COMM alarm. */
  disconnected(last: Sample): Buffer {
    return Buffer.from(`{"pv_name":${this.#name},${sampleFields(last, DISCONNECTED_ALARM)}}`);
  }
}

/** `initial_values` entry (no pv_name: the key is the name). */
export function initialValue(sample: Sample, connected: boolean): string {
  return `{${sampleFields(sample, connected ? sample.alarm : DISCONNECTED_ALARM)}}`;
}

export const BATCH_HEAD = Buffer.from('{"type":"batch_update","updates":[');
export const COMMA = Buffer.from(",");
