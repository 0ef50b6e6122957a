/**
 * DBR payloads: the value structures of `db_access.h` in every class (plain, STS, TIME, GR, CTRL)
 * and base type (STRING, SHORT, FLOAT, ENUM, CHAR, LONG, DOUBLE), big-endian on the wire with the
 * structures' RISC padding. A structure's metadata comes first, then `count` values.
 *
 * Layouts are tables (offset of every field), so each can be checked against `db_access.h`.
 */
import {
  DBR_BASE,
  DBR_CLASS,
  type DbrBase,
  type DbrClass,
  MAX_ENUM_STATES,
  MAX_ENUM_STRING_SIZE,
  MAX_STRING_SIZE,
  MAX_UNITS_SIZE,
} from "./constants.js";
import { padded } from "./header.js";

export type DbrArray = string[] | Int16Array | Float32Array | Uint16Array | Uint8Array | Int32Array | Float64Array;

/** An EPICS time stamp: seconds since 1990-01-01T00:00:00Z and nanoseconds. */
export interface EpicsTimeStamp {
  readonly secondsPastEpoch: number;
  readonly nanoseconds: number;
}

export interface DbrLimits {
  readonly upperDisplay: number;
  readonly lowerDisplay: number;
  readonly upperAlarm: number;
  readonly upperWarning: number;
  readonly lowerWarning: number;
  readonly lowerAlarm: number;
  readonly upperControl?: number;
  readonly lowerControl?: number;
}

/** A decoded DBR structure: the values and whatever metadata its class carries. */
export interface DbrData {
  readonly value: DbrArray;
  readonly status?: number;
  readonly severity?: number;
  readonly stamp?: EpicsTimeStamp;
  readonly units?: string;
  readonly precision?: number;
  readonly limits?: DbrLimits;
  readonly enumStrings?: readonly string[];
}

type Kind = "i16" | "u16" | "i32" | "u32" | "u8" | "f32" | "f64";
type FieldName =
  | "status"
  | "severity"
  | "secondsPastEpoch"
  | "nanoseconds"
  | "precision"
  | "units"
  | "noStr"
  | "strs"
  | keyof DbrLimits;

interface Field {
  readonly name: FieldName;
  readonly kind: Kind | "units" | "strs";
  readonly offset: number;
}

export interface DbrLayout {
  readonly type: number;
  readonly cls: DbrClass;
  readonly base: DbrBase;
  readonly fields: readonly Field[];
  /** Offset of the first value. */
  readonly valueOffset: number;
  /** Bytes per value. */
  readonly elementSize: number;
}

const ELEMENT: Record<DbrBase, { kind: Kind | "string"; size: number }> = {
  STRING: { kind: "string", size: MAX_STRING_SIZE },
  SHORT: { kind: "i16", size: 2 },
  FLOAT: { kind: "f32", size: 4 },
  ENUM: { kind: "u16", size: 2 },
  CHAR: { kind: "u8", size: 1 },
  LONG: { kind: "i32", size: 4 },
  DOUBLE: { kind: "f64", size: 8 },
};

const LIMIT_NAMES = [
  "upperDisplay",
  "lowerDisplay",
  "upperAlarm",
  "upperWarning",
  "lowerWarning",
  "lowerAlarm",
] as const;
const CTRL_LIMIT_NAMES = [...LIMIT_NAMES, "upperControl", "lowerControl"] as const;

const STATUS: Field[] = [
  { name: "status", kind: "i16", offset: 0 },
  { name: "severity", kind: "i16", offset: 2 },
];
const STAMP: Field[] = [
  { name: "secondsPastEpoch", kind: "u32", offset: 4 },
  { name: "nanoseconds", kind: "u32", offset: 8 },
];

function limits(names: readonly (keyof DbrLimits)[], kind: Kind, start: number, size: number): Field[] {
  return names.map((name, i) => ({ name, kind, offset: start + i * size }));
}

// Where the value starts after the RISC padding of each STS and TIME structure.
const STS_VALUE_OFFSET: Record<DbrBase, number> = {
  STRING: 4,
  SHORT: 4,
  FLOAT: 4,
  ENUM: 4,
  CHAR: 5,
  LONG: 4,
  DOUBLE: 8,
};
const TIME_VALUE_OFFSET: Record<DbrBase, number> = {
  STRING: 12,
  SHORT: 14,
  FLOAT: 12,
  ENUM: 14,
  CHAR: 15,
  LONG: 12,
  DOUBLE: 16,
};

/** Fields and value offset of one class/base pair, as `db_access.h` lays them out. */
function layoutOf(cls: DbrClass, base: DbrBase): Pick<DbrLayout, "fields" | "valueOffset"> {
  if (cls === "PLAIN") return { fields: [], valueOffset: 0 };
  if (cls === "STS") return { fields: STATUS, valueOffset: STS_VALUE_OFFSET[base] };
  if (cls === "TIME") return { fields: [...STATUS, ...STAMP], valueOffset: TIME_VALUE_OFFSET[base] };
  // GR and CTRL
  const names = cls === "CTRL" ? CTRL_LIMIT_NAMES : LIMIT_NAMES;
  const n = names.length;
  const units: Field = { name: "units", kind: "units", offset: 4 };
  switch (base) {
    case "STRING":
      // EPICS defines no GR or CTRL string structure (db_access.h points to struct_dbr_sts_string): they carry the STS layout.
      return { fields: STATUS, valueOffset: STS_VALUE_OFFSET.STRING };
    case "ENUM":
      return {
        fields: [...STATUS, { name: "noStr", kind: "i16", offset: 4 }, { name: "strs", kind: "strs", offset: 6 }],
        valueOffset: 6 + MAX_ENUM_STATES * MAX_ENUM_STRING_SIZE,
      };
    case "SHORT":
      return { fields: [...STATUS, units, ...limits(names, "i16", 12, 2)], valueOffset: 12 + n * 2 };
    case "CHAR":
      // n one-byte limits, then a RISC pad byte
      return { fields: [...STATUS, units, ...limits(names, "u8", 12, 1)], valueOffset: 12 + n + 1 };
    case "LONG":
      return { fields: [...STATUS, units, ...limits(names, "i32", 12, 4)], valueOffset: 12 + n * 4 };
    case "FLOAT":
    case "DOUBLE": {
      const size = base === "FLOAT" ? 4 : 8;
      const precision: Field = { name: "precision", kind: "i16", offset: 4 };
      const floatUnits: Field = { name: "units", kind: "units", offset: 8 };
      return {
        fields: [...STATUS, precision, floatUnits, ...limits(names, base === "FLOAT" ? "f32" : "f64", 16, size)],
        valueOffset: 16 + n * size,
      };
    }
  }
}

const LAYOUTS: DbrLayout[] = [];
for (const [cls, classOffset] of Object.entries(DBR_CLASS) as [DbrClass, number][]) {
  DBR_BASE.forEach((base, i) => {
    const type = classOffset + i;
    LAYOUTS[type] = { type, cls, base, elementSize: ELEMENT[base].size, ...layoutOf(cls, base) };
  });
}

/** The layout of a DBR type code (0..34), or undefined for codes this codec does not carry. */
export function dbrLayout(type: number): DbrLayout | undefined {
  return LAYOUTS[type];
}

/** The DBR type code of a class and base type, e.g. (`TIME`, `DOUBLE`) -> 20. */
export function dbrType(cls: DbrClass, base: DbrBase): number {
  return DBR_CLASS[cls] + DBR_BASE.indexOf(base);
}

/** Unpadded bytes of a DBR structure holding `count` values. */
export function dbrSize(layout: DbrLayout, count: number): number {
  return layout.valueOffset + Math.max(count, 1) * layout.elementSize;
}

/** Encodes `data` as a DBR payload of `layout`'s type, padded to 8 bytes. */
export function encodeDbr(layout: DbrLayout, data: DbrData): Uint8Array {
  const count = data.value.length;
  const bytes = new Uint8Array(padded(dbrSize(layout, count)));
  const view = new DataView(bytes.buffer);
  for (const field of layout.fields) writeField(view, bytes, field, data);
  writeValues(view, bytes, layout, data.value);
  return bytes;
}

/** Decodes a DBR payload of `layout`'s type holding `count` values. Throws RangeError if too short. */
export function decodeDbr(layout: DbrLayout, count: number, payload: Uint8Array): DbrData {
  if (payload.byteLength < dbrSize(layout, count)) {
    throw new RangeError(
      `DBR type ${layout.type} with ${count} values needs ${dbrSize(layout, count)} bytes, got ${payload.byteLength}`,
    );
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const meta: Record<string, unknown> = {};
  const lim: Record<string, number> = {};
  let noStr = 0;
  let strs: string[] = [];
  for (const field of layout.fields) {
    switch (field.kind) {
      case "units":
        meta.units = readString(payload, field.offset, MAX_UNITS_SIZE);
        break;
      case "strs":
        strs = Array.from({ length: MAX_ENUM_STATES }, (_, i) =>
          readString(payload, field.offset + i * MAX_ENUM_STRING_SIZE, MAX_ENUM_STRING_SIZE),
        );
        break;
      default: {
        const v = readNumber(view, field.offset, field.kind);
        if (field.name === "noStr") noStr = Math.max(0, Math.min(v, MAX_ENUM_STATES));
        else if ((CTRL_LIMIT_NAMES as readonly string[]).includes(field.name)) lim[field.name] = v;
        else meta[field.name] = v;
      }
    }
  }
  const out: Record<string, unknown> = { value: readValues(view, payload, layout, count) };
  if (meta.status !== undefined) out.status = meta.status;
  if (meta.severity !== undefined) out.severity = meta.severity;
  if (meta.secondsPastEpoch !== undefined)
    out.stamp = { secondsPastEpoch: meta.secondsPastEpoch, nanoseconds: meta.nanoseconds };
  if (meta.units !== undefined) out.units = meta.units;
  if (meta.precision !== undefined) out.precision = meta.precision;
  if (Object.keys(lim).length > 0) out.limits = lim;
  if (layout.fields.some((f) => f.name === "strs")) out.enumStrings = strs.slice(0, noStr);
  return out as unknown as DbrData;
}

function writeField(view: DataView, bytes: Uint8Array, field: Field, data: DbrData): void {
  switch (field.kind) {
    case "units":
      writeString(bytes, field.offset, MAX_UNITS_SIZE, data.units ?? "");
      return;
    case "strs": {
      const strings = (data.enumStrings ?? []).slice(0, MAX_ENUM_STATES);
      strings.forEach((s, i) => {
        writeString(bytes, field.offset + i * MAX_ENUM_STRING_SIZE, MAX_ENUM_STRING_SIZE, s);
      });
      return;
    }
    default: {
      let v: number;
      switch (field.name) {
        case "noStr":
          v = Math.min(data.enumStrings?.length ?? 0, MAX_ENUM_STATES);
          break;
        case "secondsPastEpoch":
        case "nanoseconds":
          v = data.stamp?.[field.name] ?? 0;
          break;
        case "status":
        case "severity":
        case "precision":
          v = data[field.name] ?? 0;
          break;
        default:
          v = data.limits?.[field.name as keyof DbrLimits] ?? 0;
      }
      writeNumber(view, field.offset, field.kind, v);
    }
  }
}

function writeValues(view: DataView, bytes: Uint8Array, layout: DbrLayout, value: DbrArray): void {
  const { kind } = ELEMENT[layout.base];
  const start = layout.valueOffset;
  if (kind === "string") {
    (value as string[]).forEach((s, i) => {
      writeString(bytes, start + i * MAX_STRING_SIZE, MAX_STRING_SIZE, s);
    });
    return;
  }
  const values = value as Exclude<DbrArray, string[]>;
  const size = layout.elementSize;
  for (let i = 0; i < values.length; i++) writeNumber(view, start + i * size, kind, Number(values[i]));
}

function readValues(view: DataView, payload: Uint8Array, layout: DbrLayout, count: number): DbrArray {
  const { kind } = ELEMENT[layout.base];
  const start = layout.valueOffset;
  if (kind === "string") {
    return Array.from({ length: count }, (_, i) => readString(payload, start + i * MAX_STRING_SIZE, MAX_STRING_SIZE));
  }
  const size = layout.elementSize;
  const out = newArray(kind, count);
  for (let i = 0; i < count; i++) out[i] = readNumber(view, start + i * size, kind);
  return out;
}

function newArray(kind: Kind, count: number): Exclude<DbrArray, string[]> {
  switch (kind) {
    case "i16":
      return new Int16Array(count);
    case "u16":
      return new Uint16Array(count);
    case "i32":
    case "u32":
      return new Int32Array(count);
    case "u8":
      return new Uint8Array(count);
    case "f32":
      return new Float32Array(count);
    case "f64":
      return new Float64Array(count);
  }
}

function readNumber(view: DataView, offset: number, kind: Kind): number {
  switch (kind) {
    case "i16":
      return view.getInt16(offset);
    case "u16":
      return view.getUint16(offset);
    case "i32":
      return view.getInt32(offset);
    case "u32":
      return view.getUint32(offset);
    case "u8":
      return view.getUint8(offset);
    case "f32":
      return view.getFloat32(offset);
    case "f64":
      return view.getFloat64(offset);
  }
}

function writeNumber(view: DataView, offset: number, kind: Kind, v: number): void {
  switch (kind) {
    case "i16":
      view.setInt16(offset, v);
      return;
    case "u16":
      view.setUint16(offset, v);
      return;
    case "i32":
      view.setInt32(offset, v);
      return;
    case "u32":
      view.setUint32(offset, v);
      return;
    case "u8":
      view.setUint8(offset, v);
      return;
    case "f32":
      view.setFloat32(offset, v);
      return;
    case "f64":
      view.setFloat64(offset, v);
      return;
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A NUL-terminated string in a fixed field of `size` bytes (the last byte is always NUL). */
export function readString(bytes: Uint8Array, offset: number, size: number): string {
  const field = bytes.subarray(offset, offset + size);
  const nul = field.indexOf(0);
  return decoder.decode(nul < 0 ? field : field.subarray(0, nul));
}

/** Writes `s` NUL-terminated into a fixed field, cut to fit on a character boundary. */
export function writeString(bytes: Uint8Array, offset: number, size: number, s: string): void {
  let encoded = encoder.encode(s);
  if (encoded.length > size - 1) {
    let cut = size - 1;
    while (cut > 0 && ((encoded[cut] as number) & 0xc0) === 0x80) cut--; // not inside a UTF-8 sequence
    encoded = encoded.subarray(0, cut);
  }
  bytes.set(encoded, offset);
}
