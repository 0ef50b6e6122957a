/**
 * The lines EPICS base's CA tools print (modules/ca/src/tools, tool_lib.c): caget's `name value`,
 * its terse form, and the wide `name timestamp value status severity` of caget -a, caput -l and
 * camonitor. A name is padded to 30 columns when one element follows, as caget's `%-30s`.
 */
import {
  alarmSeverityName,
  alarmStatusName,
  type ChannelValue,
  caMessage,
  charsToString,
  dbrBaseOf,
  dbrClassOf,
  ECA,
  EPICS_EPOCH_OFFSET_SECONDS,
  type EpicsTimeStamp,
} from "@beamgate/epics-ca";
import { escapedFromRaw } from "./escape.js";
import type { FormatOptions } from "./options.js";
import { formatFloat } from "./printf.js";

/** A channel's value as a tool read it, or why there is none (an ECA status). */
export type Reading =
  | { readonly kind: "value"; readonly value: ChannelValue }
  | { readonly kind: "notConnected" }
  | { readonly kind: "failed"; readonly status: number };

const NAME_WIDTH = 30;

/** caget's default line. */
export function plainLine(name: string, reading: Reading, options: FormatOptions): string {
  const count = reading.kind === "value" ? reading.value.value.length : 0;
  return `${padName(name, count)} ${terseLine(reading, options)}`;
}

/** caget -t: the value alone. */
export function terseLine(reading: Reading, options: FormatOptions): string {
  switch (reading.kind) {
    case "value":
      return valueText(reading.value, options, true);
    case "notConnected":
      return "*** Not connected (PV not found)";
    case "failed":
      if (reading.status === ECA.DISCONN) return "*** not connected";
      if (reading.status === ECA.NORDACCESS) return "*** no read access";
      if (reading.status === ECA.TIMEOUT) return "*** no data available (timeout)";
      return `*** CA error ${caMessage(reading.status)}`;
  }
}

/** caget -a, caput -l and camonitor; a failure carries the local time it was seen at. */
export function wideLine(name: string, reading: Reading, options: FormatOptions, nowMs = Date.now()): string {
  if (reading.kind === "notConnected") return `${padName(name, 0)} *** Not connected (PV not found)`;
  if (reading.kind === "failed") {
    const now = localTime(nowMs, (nowMs % 1000) * 1e6);
    const what = reading.status === ECA.DISCONN ? "*** disconnected" : terseLine(reading, options);
    return `${padName(name, 0)} ${now} ${what}`;
  }
  const { value, stamp, status = 0, severity = 0 } = reading.value;
  const alarm = status || severity ? ` ${alarmStatusName(status)} ${alarmSeverityName(severity)}` : "  ";
  return `${padName(name, value.length)} ${stampText(stamp)} ${valueText(reading.value, options, true)}${alarm}`;
}

/**
 * The values of a read: one, or the count then each when an array came or `-#` asked for a count
 * (`withCount`); a CHAR array as its string with `-S`.
 */
export function valueText(v: ChannelValue, options: FormatOptions, withCount: boolean): string {
  const n = v.value.length;
  const array = options.count > 0 || n > 1;
  if (options.charAsString && array && dbrBaseOf(v.dataType) === "CHAR") {
    return escapedFromRaw(charsToString(v.value as Uint8Array));
  }
  const elements = Array.from({ length: n }, (_, i) => elementText(v, i, options));
  return (withCount && array ? [String(n), ...elements] : elements).join(" ");
}

/** One element, as the CA tools' val2str. */
function elementText(v: ChannelValue, i: number, options: FormatOptions): string {
  const x = v.value[i] as string | number;
  if (typeof x === "string") return escapedFromRaw(x);
  switch (dbrBaseOf(v.dataType)) {
    case "FLOAT":
    case "DOUBLE":
      return formatFloat(x, options.float);
    case "ENUM": {
      const cls = dbrClassOf(v.dataType);
      if ((cls !== "GR" && cls !== "CTRL") || options.enumAsNumber) return String(x);
      if (x >= 16) return `Illegal Value (${x})`;
      return v.enumStrings?.[x] ?? `Enum Index Overflow (${x})`;
    }
    default:
      return String(x);
  }
}

/** An EPICS time stamp in local time, `YYYY-MM-DD HH:MM:SS.ffffff` (`<undefined>` if never set). */
export function stampText(stamp: EpicsTimeStamp | undefined): string {
  if (!stamp || (stamp.secondsPastEpoch === 0 && stamp.nanoseconds === 0)) return "<undefined>";
  return localTime((stamp.secondsPastEpoch + EPICS_EPOCH_OFFSET_SECONDS) * 1000, stamp.nanoseconds);
}

function localTime(ms: number, nanoseconds: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  const date = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  // epicsTimeToStrftime's %06f truncates to microseconds.
  return `${date} ${time}.${String(Math.floor(nanoseconds / 1000)).padStart(6, "0")}`;
}

export function padName(name: string, count: number): string {
  return count <= 1 ? name.padEnd(NAME_WIDTH) : name;
}
