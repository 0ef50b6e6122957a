/**
 * Shorthands for the ServerPvs of the simulated records: numbers, enums, strings and long strings
 * (NUL-terminated CHAR arrays), plus reading a PV's first value and posting one in its native type.
 * What the records do lives with each device; a write a device refuses throws, which the CA server
 * answers with ECA_PUTFAIL.
 */
import {
  charsToString,
  type DbrArray,
  type DbrBase,
  type PvOptions,
  ServerPv,
  stringToChars,
} from "@beamgate/epics-ca";
import type { Alarm } from "./alarm.js";

export type NumericBase = Exclude<DbrBase, "STRING">;
export type NumericArray = Exclude<DbrArray, string[]>;
type Extra = Omit<PvOptions, "base" | "value">;

const ARRAY_OF: Record<NumericBase, (values: ArrayLike<number>) => NumericArray> = {
  SHORT: (v) => Int16Array.from(v),
  FLOAT: (v) => Float32Array.from(v),
  ENUM: (v) => Uint16Array.from(v),
  CHAR: (v) => Uint8Array.from(v),
  LONG: (v) => Int32Array.from(v),
  DOUBLE: (v) => Float64Array.from(v),
};

export function arrayOf(base: NumericBase, values: ArrayLike<number>): NumericArray {
  return ARRAY_OF[base](values);
}

export function numberPv(base: NumericBase, value: number, extra: Extra = {}): ServerPv {
  return new ServerPv({ ...extra, base, value: arrayOf(base, [value]) });
}

/** An enum (bo, mbbo) that refuses an index with no label, then writes as `extra.onWrite` says. */
export function enumPv(labels: readonly string[], index: number, extra: Extra = {}): ServerPv {
  const { onWrite } = extra;
  return new ServerPv({
    ...extra,
    base: "ENUM",
    value: Uint16Array.of(index),
    enumStrings: labels,
    onWrite: (pv, value) => {
      const state = first(value);
      if (state >= labels.length) throw new RangeError(`state ${state} has no label (0-${labels.length - 1})`);
      return onWrite ? onWrite(pv, value) : pv.post(value);
    },
  });
}

export function stringPv(text: string, extra: Extra = {}): ServerPv {
  return new ServerPv({ ...extra, base: "STRING", value: [text] });
}

/** A long string: a CHAR array of up to `maxCount` bytes, the last a NUL (a write is cut to fit). */
export function longStringPv(text: string, maxCount: number, extra: Extra = {}): ServerPv {
  return new ServerPv({
    onWrite: (pv, value) => postText(pv, charsToString(value as Uint8Array)),
    ...extra,
    base: "CHAR",
    value: fitChars(text, maxCount),
    maxCount,
  });
}

/** The first element of a value, as a number (0 when empty). */
export function first(value: DbrArray): number {
  return Number(value[0] ?? 0);
}

export function numberOf(pv: ServerPv): number {
  return first(pv.data.value);
}

/** The text of a STRING PV, or of a long string. */
export function textOf(pv: ServerPv): string {
  const { value } = pv.data;
  return Array.isArray(value) ? (value[0] ?? "") : charsToString(value as Uint8Array);
}

export function postNumber(pv: ServerPv, n: number, alarm?: Alarm): void {
  pv.post(arrayOf(pv.base as NumericBase, [n]), alarm);
}

/** Posts `n` unless the PV holds it already: readbacks that rarely change are not re-sent each frame. */
export function postIfChanged(pv: ServerPv, n: number): void {
  if (numberOf(pv) !== n || pv.data.value.length !== 1) postNumber(pv, n);
}

export function postText(pv: ServerPv, text: string): void {
  pv.post(pv.base === "STRING" ? [text] : fitChars(text, pv.maxCount));
}

function fitChars(text: string, maxCount: number): Uint8Array {
  const chars = stringToChars(text);
  if (chars.length <= maxCount) return chars;
  let end = maxCount - 1;
  while (end > 0 && ((chars[end] as number) & 0xc0) === 0x80) end--; // not inside a UTF-8 sequence
  const cut = new Uint8Array(end + 1);
  cut.set(chars.subarray(0, end));
  return cut;
}
