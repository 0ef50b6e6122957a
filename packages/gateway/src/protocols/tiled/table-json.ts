/**
 * An Arrow IPC file as the JSON payload of a `table-data` message in Tiled's JSON envelope:
 * `{"column": [values], ...}`, columns in the schema's order, rows of every batch in order, as
 * Tiled writes a table it decoded with pyarrow (`to_pydict()`) and dumped with orjson.
 *
 * Values are written here, not by JSON.stringify, for the same reasons as array payloads
 * (payload-json.ts): float64 as Python writes it (`3.0`, `1e-05`), float32 and float16 with the
 * shortest digits at their own precision, 64-bit integers exact, NaN and ±Infinity as `null`
 * (orjson). Nulls are `null` at any depth; booleans, strings, lists (arrays) and structs (objects,
 * keys in field order) are themselves.
 *
 * Where orjson would refuse the Python value (Tiled's JSON envelope then fails), a form is chosen:
 * decimals as strings of their exact value (`"1.50"`), binary as base64 strings, durations as
 * integers in their unit, maps as lists of `[key, value]` pairs. Dates are `YYYY-MM-DD`, times
 * `HH:MM:SS[.ffffff]`, timestamps ISO 8601 as Python's `isoformat()` writes them (microseconds
 * when not zero; nanoseconds cut to microseconds, as a Python datetime holds them), with `+00:00`
 * when the column has a time zone (the instant written in UTC, whatever the zone's name).
 */
import {
  type Data,
  type DataType,
  DateUnit,
  Precision,
  type Schema,
  TimeUnit,
  Type,
  tableFromIPC,
  util,
} from "apache-arrow";
import { formatFloat32, formatFloat64 } from "./payload-json.js";

/** The JSON text of an Arrow IPC file's columns: `{"x":[3.0,4.0]}`. Throws if it is not one. */
export function tablePayloadJson(ipc: Uint8Array): string {
  const table = tableFromIPC(ipc.byteOffset % 8 === 0 ? ipc : ipc.slice());
  return columnsJson(table.schema, table.batches);
}

function columnsJson(schema: Schema, batches: readonly { data: Data }[]): string {
  const parts: string[] = ["{"];
  schema.fields.forEach((field, c) => {
    if (c > 0) parts.push(",");
    parts.push(JSON.stringify(field.name), ":[");
    let first = true;
    for (const batch of batches) {
      const column = batch.data.children[c];
      if (!column) continue;
      for (let i = 0; i < column.length; i++) {
        if (!first) parts.push(",");
        first = false;
        parts.push(valueJson(column, i));
      }
    }
    parts.push("]");
  });
  parts.push("}");
  return parts.join("");
}

const utf8 = new TextDecoder();

/** The JSON text of element `i` of `data` (its own offset aside). */
function valueJson(data: Data, i: number): string {
  const j = data.offset + i;
  if (data.nullCount > 0 && data.nullBitmap && data.nullBitmap.byteLength > 0) {
    if (((data.nullBitmap[j >> 3] ?? 0) & (1 << (j & 7))) === 0) return "null";
  }
  const type = data.type;
  const values = data.values as ArrayLike<number | bigint> & { subarray?: (a: number, b: number) => Uint8Array };
  switch (type.typeId) {
    case Type.Null:
      return "null";
    case Type.Bool:
      return ((values[j >> 3] as number) & (1 << (j & 7))) !== 0 ? "true" : "false";
    case Type.Int:
      return String(values[j]);
    case Type.Float: {
      const precision = params<{ precision: Precision }>(type).precision;
      const v = values[j] as number;
      if (precision === Precision.HALF) return formatFloat32(util.uint16ToFloat64(v));
      return precision === Precision.SINGLE ? formatFloat32(v) : formatFloat64(v);
    }
    case Type.Decimal:
      return JSON.stringify(decimalText(data, j));
    case Type.Date: {
      const unit = params<{ unit: DateUnit }>(type).unit;
      const ms = unit === DateUnit.DAY ? Number(values[j]) * 86_400_000 : Number(values[j]);
      return JSON.stringify(isoDate(ms));
    }
    case Type.Time:
      return JSON.stringify(
        timeOfDay(micros(BigInt(values[j] as number | bigint), params<{ unit: TimeUnit }>(type).unit)),
      );
    case Type.Timestamp: {
      const t = params<{ unit: TimeUnit; timezone?: string | null }>(type);
      const text = isoDateTime(micros(BigInt(values[j] as number | bigint), t.unit));
      return JSON.stringify(t.timezone ? `${text}+00:00` : text);
    }
    case Type.Duration:
      return String(values[j]);
    case Type.Utf8:
    case Type.LargeUtf8: {
      const [a, b] = span(data, j);
      return JSON.stringify(utf8.decode((data.values as Uint8Array).subarray(a, b)));
    }
    case Type.Binary:
    case Type.LargeBinary: {
      const [a, b] = span(data, j);
      return JSON.stringify(base64((data.values as Uint8Array).subarray(a, b)));
    }
    case Type.FixedSizeBinary: {
      const width = params<{ byteWidth: number }>(type).byteWidth;
      return JSON.stringify(base64((data.values as Uint8Array).subarray(j * width, (j + 1) * width)));
    }
    case Type.List:
    case Type.LargeList: {
      const [a, b] = span(data, j);
      return listJson(data.children[0] as Data, a, b);
    }
    case Type.FixedSizeList: {
      const size = params<{ listSize: number }>(type).listSize;
      return listJson(data.children[0] as Data, j * size, (j + 1) * size);
    }
    case Type.Map: {
      const [a, b] = span(data, j);
      const entries = data.children[0] as Data;
      const [keys, items] = entries.children as [Data, Data];
      const pairs: string[] = [];
      for (let k = a; k < b; k++) pairs.push(`[${valueJson(keys, k)},${valueJson(items, k)}]`);
      return `[${pairs.join(",")}]`;
    }
    case Type.Struct: {
      const fields = type.children ?? [];
      const parts = fields.map((f, c) => `${JSON.stringify(f.name)}:${valueJson(data.children[c] as Data, i)}`);
      return `{${parts.join(",")}}`;
    }
    default:
      throw new RangeError(`Columns of type ${type} have no JSON form here`);
  }
}

/** The parameters of a type of a known type id (apache-arrow's subclasses carry them). */
function params<T>(type: DataType): T {
  return type as unknown as T;
}

function listJson(child: Data, from: number, to: number): string {
  const parts: string[] = [];
  for (let k = from; k < to; k++) parts.push(valueJson(child, k));
  return `[${parts.join(",")}]`;
}

/** Where element `j` of a variable-size column lies (its value offsets). */
function span(data: Data, j: number): [number, number] {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  return [Number(offsets[j]), Number(offsets[j + 1])];
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** A decimal's exact value as text: the little-endian two's complement words, then the scale. */
function decimalText(data: Data, j: number): string {
  const { scale, bitWidth } = params<{ scale: number; bitWidth: number }>(data.type);
  const words = bitWidth / 32;
  const values = data.values as Uint32Array;
  let n = 0n;
  for (let w = words - 1; w >= 0; w--) n = (n << 32n) | BigInt(values[j * words + w] ?? 0);
  if (n >= 1n << BigInt(bitWidth - 1)) n -= 1n << BigInt(bitWidth);
  const negative = n < 0n;
  let digits = (negative ? -n : n).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0");
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  } else if (scale < 0) {
    digits += "0".repeat(-scale);
  }
  return negative ? `-${digits}` : digits;
}

/** A count of `unit`s as microseconds (nanoseconds cut toward minus infinity). */
function micros(value: bigint, unit: TimeUnit): bigint {
  switch (unit) {
    case TimeUnit.SECOND:
      return value * 1_000_000n;
    case TimeUnit.MILLISECOND:
      return value * 1000n;
    case TimeUnit.MICROSECOND:
      return value;
    default: {
      const q = value / 1000n;
      return value % 1000n < 0n ? q - 1n : q;
    }
  }
}

function isoDate(ms: number): string {
  const text = new Date(ms).toISOString();
  return text.startsWith("+") || text.startsWith("-") ? text.slice(0, text.indexOf("T")) : text.slice(0, 10);
}

/** `YYYY-MM-DDTHH:MM:SS[.ffffff]` for microseconds since the epoch (UTC). */
function isoDateTime(us: bigint): string {
  let seconds = us / 1_000_000n;
  let fraction = us % 1_000_000n;
  if (fraction < 0n) {
    fraction += 1_000_000n;
    seconds -= 1n;
  }
  const text = new Date(Number(seconds) * 1000).toISOString(); // ...T13:02:20.000Z
  const base = text.slice(0, text.indexOf("."));
  return fraction === 0n ? base : `${base}.${fraction.toString().padStart(6, "0")}`;
}

/** `HH:MM:SS[.ffffff]` for microseconds since midnight. */
function timeOfDay(us: bigint): string {
  const day = 86_400_000_000n;
  const t = ((us % day) + day) % day;
  const seconds = Number(t / 1_000_000n);
  const fraction = t % 1_000_000n;
  const hh = String(Math.floor(seconds / 3600)).padStart(2, "0");
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
  const ss = String(seconds % 60).padStart(2, "0");
  return fraction === 0n ? `${hh}:${mm}:${ss}` : `${hh}:${mm}:${ss}.${fraction.toString().padStart(6, "0")}`;
}
