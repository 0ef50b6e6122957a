/**
 * caget -d: a value read as a chosen DBR type, printed field by field as caget's specifiedDbr
 * output and tool_lib.c's dbr2str (status, time stamp, units, precision, limits, enum labels).
 */
import type { ChannelValue, DbrLimits } from "@beamgate/epics-ca";
import { alarmSeverityName, alarmStatusName, dbfText, dbrBaseOf, dbrClassOf, dbrText } from "@beamgate/epics-ca";
import { type Reading, stampText, terseLine, valueText } from "./format.js";
import type { FormatOptions } from "./options.js";
import { formatFloat } from "./printf.js";

const INDENT = "    ";

/** The lines for one channel, its native type given as a DBF code. */
export function dbrDetail(name: string, nativeType: number, reading: Reading, options: FormatOptions): string[] {
  if (reading.kind !== "value") return [name, INDENT + terseLine(reading, options)];
  const v = reading.value;
  return [
    name,
    field("Native data type", dbfText(nativeType)),
    field("Request type", dbrText(v.dataType)),
    field("Element count", String(v.value.length)),
    field("Value", valueText(v, options, false)),
    ...metadata(v),
  ];
}

/** `    Label:            value`, the label padded to 18 columns as in dbr2str. */
function field(label: string, value: string): string {
  return `${INDENT}${`${label}:`.padEnd(18)}${value}`;
}

function metadata(v: ChannelValue): string[] {
  const cls = dbrClassOf(v.dataType);
  const base = dbrBaseOf(v.dataType);
  if (cls === "PLAIN") return [];
  const alarm = [
    field("Status", alarmStatusName(v.status ?? 0)),
    field("Severity", alarmSeverityName(v.severity ?? 0)),
  ];
  if (cls === "STS" || base === "STRING") return alarm; // db_access.h: no GR or CTRL STRING
  if (cls === "TIME") return [field("Timestamp", stampText(v.stamp)), ...alarm];
  if (base === "ENUM") {
    const labels = v.enumStrings ?? [];
    const count = String(labels.length).padStart(2);
    return [
      ...alarm,
      field("Enums", `(${count})`),
      ...labels.map((s, i) => `${" ".repeat(22)}[${String(i).padStart(2)}] ${s}`),
    ];
  }
  // dbr2str prints integer limits with %8d and float ones with %g.
  const number =
    base === "FLOAT" || base === "DOUBLE" ? (x: number) => formatFloat(x) : (x: number) => String(x).padStart(8);
  const limit = (label: string, key: keyof DbrLimits) => field(label, number(v.limits?.[key] ?? 0));
  return [
    ...alarm,
    field("Units", v.units ?? ""),
    ...(v.precision !== undefined ? [field("Precision", String(v.precision))] : []),
    limit("Lo disp limit", "lowerDisplay"),
    limit("Hi disp limit", "upperDisplay"),
    limit("Lo alarm limit", "lowerAlarm"),
    limit("Lo warn limit", "lowerWarning"),
    limit("Hi warn limit", "upperWarning"),
    limit("Hi alarm limit", "upperAlarm"),
    ...(cls === "CTRL" ? [limit("Lo ctrl limit", "lowerControl"), limit("Hi ctrl limit", "upperControl")] : []),
  ];
}
