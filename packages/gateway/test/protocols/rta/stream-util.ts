/**
 * Shared pieces of the RTA stream tests: nanosecond times past 2^53, data appends in the JSON
 * form, and the samples and events a client received, flattened so they can be counted.
 */
import assert from "node:assert/strict";
import { decodeSamples, decodeTimestamps, type StreamData } from "@beamgate/rta";
import type { RtaRest, RtaStreamClient } from "../../helpers/rta-client.js";

/** 2023-11-14T22:13:20.123456789Z in ns: past 2^53, and odd, so a double would round it. */
export const T0 = 1_700_000_000_123_456_789n;
export const MS = 1_000_000n;

/** T0 + `ms` (which may be fractional to the ns), in ns. */
export const at = (ms: number): bigint => T0 + BigInt(Math.round(ms * 1e6));

/** Appends periodic samples to channel 0 (f64, 1 ms), one burst per `values` list. */
export async function periodic(rest: RtaRest, id: string, startMs: number, values: number[]): Promise<void> {
  await rest.json(
    "POST",
    `/sessions/${id}/data/periodic`,
    { periodicData: [{ channelId: 0, startTimestamp: `${at(startMs)}`, interval: "1000000", values }] },
    200,
  );
}

/** Appends timestamped samples to channel 1 (f32). */
export async function timestamped(rest: RtaRest, id: string, timesMs: number[], values: number[]): Promise<void> {
  await rest.json(
    "POST",
    `/sessions/${id}/data/timestamped`,
    { timestampedData: [{ channelId: 1, timestamps: timesMs.map((t) => `${at(t)}`), values }] },
    200,
  );
}

/** Appends one row of channels 2 and 3 (u16). */
export async function row(rest: RtaRest, id: string, timeMs: number, values: [number, number]): Promise<void> {
  await rest.json(
    "POST",
    `/sessions/${id}/data/row`,
    { rowData: [{ channelIds: [2, 3], timestamp: `${at(timeMs)}`, values }] },
    200,
  );
}

/** Appends one event (definition 1 of app Rig). */
export async function event(rest: RtaRest, id: string, timeMs: number, statusText: string): Promise<void> {
  await rest.json(
    "POST",
    `/sessions/${id}/data/events`,
    { events: [{ eventDefinitionId: 1, appName: "Rig", timestamp: `${at(timeMs)}`, statusText }] },
    200,
  );
}

export interface Sample {
  /** Channel id, or -1 for an event. */
  readonly channel: number;
  readonly time: bigint;
  /** The sample's value, or the event's status text. */
  readonly value: number | string;
}

/** `channel@ms-since-T0` (ns precision kept): a sample's identity. */
export const keyOf = (s: Sample): string => `${s.channel}@${Number(s.time - T0) / 1e6}`;

/** The samples (and events) one StreamData carries; none for session JSON and time ranges. */
export function samplesOf(d: StreamData): Sample[] {
  switch (d.data.case) {
    case "periodicData": {
      const m = d.data.value;
      const values = decodeSamples("f64", m.buffer);
      assert.equal(m.samples, values.length, "PeriodicData.samples matches its buffer");
      return [...values].map((value, i) => ({
        channel: m.channelId,
        time: m.startTimestamp + BigInt(i) * m.interval,
        value,
      }));
    }
    case "timestampedData": {
      const m = d.data.value;
      const values = decodeSamples("f32", m.buffer);
      const times = decodeTimestamps(m.startTimestamp, m.timestampDeltasScale, m.timestampDeltas);
      return times.map((time, i) => ({ channel: m.channelId, time, value: values[i] as number }));
    }
    case "rowData": {
      const m = d.data.value;
      const values = decodeSamples("u16", m.buffer);
      return m.channelIds.map((channel, i) => ({ channel, time: m.timestamp, value: values[i] as number }));
    }
    case "event":
      return [{ channel: -1, time: d.data.value.timestamp, value: d.data.value.statusText }];
    default:
      return [];
  }
}

/** Every sample and event a client has received, in arrival order. */
export const received = (client: RtaStreamClient): Sample[] => client.data.flatMap(samplesOf);

/** Sample keys of `channel` received, sorted. */
export function keysOf(client: RtaStreamClient, channel: number): string[] {
  return received(client)
    .filter((s) => s.channel === channel)
    .map(keyOf)
    .sort();
}

/** Keys of the samples of `channel` at `timesMs`, sorted like `keysOf`. */
export const expectedKeys = (channel: number, timesMs: number[]): string[] =>
  timesMs.map((ms) => keyOf({ channel, time: at(ms), value: 0 })).sort();

/** Whether a StreamData carries a sample of `channel` at `ms`. */
export const carries =
  (channel: number, ms: number) =>
  (d: StreamData): boolean =>
    samplesOf(d).some((s) => s.channel === channel && s.time === at(ms));

/** `count` consecutive ms starting at `startMs`. */
export const span = (startMs: number, count: number): number[] => Array.from({ length: count }, (_, i) => startMs + i);

/** Asserts no key occurs twice. */
export function assertNoDuplicates(keys: readonly string[], what: string): void {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const k of keys) {
    if (seen.has(k)) dup.push(k);
    seen.add(k);
  }
  assert.deepEqual(dup, [], `${what}: received more than once`);
}

/** The session's time range read from the raw Session JSON text, as exact integers. */
export function jsonTimeRange(text: string): { startTime: bigint; endTime: bigint } | undefined {
  const range = /"timeRange":(\{[^}]*\})/.exec(text)?.[1];
  if (range === undefined) return undefined;
  const start = /"startTime":(-?\d+)[,}]/.exec(range)?.[1];
  const end = /"endTime":(-?\d+)[,}]/.exec(range)?.[1];
  assert.ok(start !== undefined && end !== undefined, `timeRange holds integer startTime and endTime: ${range}`);
  return { startTime: BigInt(start), endTime: BigInt(end) };
}

/** The Session JSON of a StreamData (asserts it is one). */
export function sessionOf(d: StreamData | undefined): { json: Record<string, unknown>; text: string } {
  assert.equal(d?.data.case, "sessionJson", `a session_json StreamData, not ${d?.data.case}`);
  const text = d.data.value as string;
  return { json: JSON.parse(text) as Record<string, unknown>, text };
}

/** A time_range StreamData matching `startMs`..`endMs` exactly. */
export const timeRangeIs =
  (startMs: number, endMs: number) =>
  (d: StreamData): boolean =>
    d.data.case === "timeRange" && d.data.value.startTime === at(startMs) && d.data.value.endTime === at(endMs);

/** Waits until the client holds samples of every key in `keys` (bounded). */
export async function waitForKeys(client: RtaStreamClient, keys: readonly string[], timeoutMs = 5000): Promise<void> {
  const want = new Set(keys);
  const missing = () => {
    const have = new Set(received(client).map(keyOf));
    return [...want].filter((k) => !have.has(k));
  };
  if (missing().length === 0) return;
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      client.ws.off("message", check);
      client.ws.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    // Listeners added after the client's own, so its data already holds the message.
    const check = () => {
      if (missing().length === 0) done();
    };
    const onClose = () => done(new Error(`closed while missing ${missing().slice(0, 10).join(", ")}`));
    const timer = setTimeout(
      () => done(new Error(`missing after ${timeoutMs} ms: ${missing().slice(0, 10).join(", ")}`)),
      timeoutMs,
    );
    client.ws.on("message", check);
    client.ws.on("close", onClose);
  });
}
