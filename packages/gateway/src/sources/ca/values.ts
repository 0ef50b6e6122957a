/**
 * Channel Access values in the hub's terms: DBR data to samples and metadata, and a client's put
 * value to the DBR array and base type it is written as. A name ending in `$` (`REC.DESC$`) is a
 * long string: a CHAR array that travels as a string, as EPICS tools show it.
 */
import {
  type ChannelValue,
  charsToString,
  type DbrArray,
  type DbrBase,
  EPICS_EPOCH_OFFSET_SECONDS,
  stringToChars,
} from "@beamgate/epics-ca";
import type { Dtype, Meta, Sample, Value } from "../../core/values.js";
import { BeamgateError } from "../../errors.js";

const DTYPES: Record<DbrBase, Dtype> = {
  STRING: "string",
  SHORT: "int16",
  FLOAT: "float32",
  ENUM: "enum",
  CHAR: "uint8",
  LONG: "int32",
  DOUBLE: "float64",
};

export function isLongString(name: string): boolean {
  return name.endsWith("$");
}

/** Metadata from a CTRL (or GR) read of a channel holding up to `count` elements. */
export function metaOf(name: string, base: DbrBase, count: number, ctrl: ChannelValue): Meta {
  if (isLongString(name) && base === "CHAR") return { kind: "state", dtype: "string" };
  const limits = ctrl.limits;
  return {
    kind: "state",
    dtype: DTYPES[base],
    ...(count > 1 ? { count } : {}),
    ...(ctrl.units ? { units: ctrl.units } : {}),
    ...(ctrl.precision !== undefined ? { precision: ctrl.precision } : {}),
    ...(ctrl.enumStrings ? { enumLabels: ctrl.enumStrings } : {}),
    ...(limits && base !== "ENUM" && base !== "STRING"
      ? {
          display: { low: limits.lowerDisplay, high: limits.upperDisplay },
          ...(limits.lowerControl !== undefined && limits.upperControl !== undefined
            ? { control: { low: limits.lowerControl, high: limits.upperControl } }
            : {}),
          alarmLimits: {
            lolo: limits.lowerAlarm,
            low: limits.lowerWarning,
            high: limits.upperWarning,
            hihi: limits.upperAlarm,
          },
        }
      : {}),
  };
}

/** A sample from a TIME read or monitor update. */
export function sampleOf(name: string, base: DbrBase, count: number, data: ChannelValue): Sample {
  const stamp = data.stamp;
  const timestamp = stamp
    ? (stamp.secondsPastEpoch + EPICS_EPOCH_OFFSET_SECONDS) * 1000 + stamp.nanoseconds / 1e6
    : Date.now();
  return {
    value: hubValue(name, base, count, data.value),
    timestamp,
    alarm: { severity: data.severity ?? 0, status: data.status ?? 0 },
  };
}

function hubValue(name: string, base: DbrBase, count: number, value: DbrArray): Value {
  if (isLongString(name) && base === "CHAR") return charsToString(value as Uint8Array);
  if (Array.isArray(value)) return count > 1 ? value : (value[0] ?? "");
  if (count > 1) return value as Exclude<DbrArray, string[]>;
  return (value as Exclude<DbrArray, string[]>)[0] ?? 0;
}

/** What a put sends: the value as a DBR array of the base type that keeps it exact. */
export function putValueOf(name: string, base: DbrBase, value: unknown): { value: DbrArray; base: DbrBase } {
  if (isLongString(name) && base === "CHAR") {
    if (typeof value !== "string") throw invalid(name, "a string");
    return { value: stringToChars(value), base: "CHAR" };
  }
  if (typeof value === "number") return { value: Float64Array.of(value), base: "DOUBLE" };
  if (typeof value === "boolean") return { value: Int16Array.of(value ? 1 : 0), base: "SHORT" };
  if (typeof value === "string") return { value: [value], base: "STRING" };
  if (ArrayBuffer.isView(value)) {
    const typed = typedBase(value);
    if (typed) return typed;
  }
  if (Array.isArray(value) && value.length > 0) {
    if (value.every((v) => typeof v === "number")) return { value: Float64Array.from(value), base: "DOUBLE" };
    if (value.every((v) => typeof v === "string")) return { value: value as string[], base: "STRING" };
  }
  throw invalid(name, "a number, a string, or a non-empty array of numbers or of strings");
}

function typedBase(value: ArrayBufferView): { value: DbrArray; base: DbrBase } | undefined {
  if (value instanceof Float64Array) return { value, base: "DOUBLE" };
  if (value instanceof Float32Array) return { value, base: "FLOAT" };
  if (value instanceof Int32Array) return { value, base: "LONG" };
  if (value instanceof Int16Array) return { value, base: "SHORT" };
  if (value instanceof Uint8Array) return { value, base: "CHAR" };
  // Wider unsigned and signed bytes have no CA type of their own: doubles hold them exactly.
  if (value instanceof Uint16Array || value instanceof Uint32Array || value instanceof Int8Array)
    return { value: Float64Array.from(value), base: "DOUBLE" };
  return undefined;
}

function invalid(name: string, expected: string): BeamgateError {
  return new BeamgateError("BG_ERR_PUT_INVALID_VALUE", `ca://${name} takes ${expected}`);
}
