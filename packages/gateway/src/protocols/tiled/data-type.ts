/**
 * Tiled's `DataType` (its `BuiltinDtype`): a numpy dtype spelled out as
 * `{endianness, kind, itemsize, dt_units}`, the `data_type` of an `array-schema` frame and of every
 * array structure a client sends. Here: the type, a zod schema for client-sent structures, a
 * checked constructor, and the mapping from numpy's own spellings (`"<f8"`, `"|u1"`, `"int64"`).
 *
 * Every kind numpy has may appear in a structure; decoding raw bytes to JSON (payload-json.ts) is
 * narrower, see `jsonDecodable`. Tiled's `Kind` enum also lists `t` (bit field), which numpy
 * cannot build, so it is left out. Struct dtypes (`{itemsize, fields}`) are not covered here.
 */
import { z } from "zod";

export const ENDIANNESS = ["little", "big", "not_applicable"] as const;
export type Endianness = (typeof ENDIANNESS)[number];

/** numpy kind letters, as Tiled's `Kind` enum lists them (less `t`). */
export const KINDS = ["b", "i", "u", "f", "c", "m", "M", "S", "U", "V"] as const;
export type Kind = (typeof KINDS)[number];

export interface DataType {
  readonly endianness: Endianness;
  readonly kind: Kind;
  /** Bytes per element (for `U`, 4 per character: numpy stores UCS-4). */
  readonly itemsize: number;
  /** Datetime/timedelta unit as Tiled writes it, e.g. `"[ns]"`, `"[10s]"`; null for other kinds. */
  readonly dt_units: string | null;
}

/**
 * Item sizes numpy can build per kind; `undefined` means any size (`U`: a multiple of 4).
 * `f16`/`c32` are numpy's long double on x86-64 Linux.
 */
const ITEMSIZES: Record<Kind, readonly number[] | undefined> = {
  b: [1],
  i: [1, 2, 4, 8],
  u: [1, 2, 4, 8],
  f: [2, 4, 8, 16],
  c: [8, 16, 32],
  m: [8],
  M: [8],
  S: undefined,
  U: undefined,
  V: undefined,
};

/** numpy's `[unit]` or `[count unit]` suffix of a datetime64/timedelta64 dtype. */
const DT_UNITS = /^\[\d*[A-Za-z\u03bc]+\]$/;

/** Why `kind`/`itemsize`/`dt_units` cannot form a numpy dtype, or null when they can. */
export function dataTypeProblem(kind: Kind, itemsize: number, dtUnits: string | null = null): string | null {
  if (!Number.isSafeInteger(itemsize) || itemsize < 0)
    return `itemsize must be a non-negative integer, not ${itemsize}`;
  const sizes = ITEMSIZES[kind];
  if (sizes && !sizes.includes(itemsize)) return `kind "${kind}" has itemsize ${sizes.join(", ")}, not ${itemsize}`;
  if (kind === "U" && itemsize % 4 !== 0) return `kind "U" stores 4 bytes per character; itemsize ${itemsize}`;
  if (dtUnits !== null) {
    if (kind !== "m" && kind !== "M") return `dt_units applies to kinds "m" and "M" only, not "${kind}"`;
    if (!DT_UNITS.test(dtUnits)) return `dt_units must look like "[ns]" or "[10s]", not ${JSON.stringify(dtUnits)}`;
  }
  return null;
}

/**
 * The zod schema for a `data_type` sent by a client. A missing `dt_units` means null, as in
 * Tiled's `BuiltinDtype.from_json`; unknown keys are dropped; the output's keys are in Tiled's
 * order (endianness, kind, itemsize, dt_units).
 */
export const dataTypeSchema = z
  .object({
    endianness: z.enum(ENDIANNESS),
    kind: z.enum(KINDS),
    itemsize: z.number().int().nonnegative(),
    dt_units: z.string().nullable().default(null),
  })
  .superRefine((dt, ctx) => {
    const problem = dataTypeProblem(dt.kind, dt.itemsize, dt.dt_units);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/**
 * A checked `DataType`. Endianness defaults to little (the byte order of every host Node runs
 * beamgate on) and is forced to `not_applicable` where numpy reports `|`: booleans, one-byte
 * integers, `S` and `V`. Throws a RangeError for a combination numpy cannot build.
 */
export function dtypeOf(
  kind: Kind,
  itemsize: number,
  options: { endianness?: Endianness; dtUnits?: string | null } = {},
): DataType {
  const dtUnits = options.dtUnits ?? null;
  const problem = dataTypeProblem(kind, itemsize, dtUnits);
  if (problem) throw new RangeError(`Invalid data type: ${problem}`);
  const endianness = byteOrderMatters(kind, itemsize) ? (options.endianness ?? "little") : "not_applicable";
  return { endianness, kind, itemsize, dt_units: dtUnits };
}

function byteOrderMatters(kind: Kind, itemsize: number): boolean {
  return !(kind === "b" || kind === "S" || kind === "V" || itemsize <= 1);
}

/** Number of elements of an array of this shape (1 for a 0-d array). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const n of shape) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Invalid shape [${shape.join(",")}]`);
    count *= n;
  }
  if (!Number.isSafeInteger(count)) throw new RangeError(`Shape [${shape.join(",")}] is too large`);
  return count;
}

/** Bytes of a C-order array of this data type and shape. */
export function byteLengthOf(dataType: DataType, shape: readonly number[]): number {
  const bytes = elementCount(shape) * dataType.itemsize;
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`Shape [${shape.join(",")}] is too large`);
  return bytes;
}

/** Kinds and sizes payload-json.ts can turn into JSON: what Tiled's JSON envelope handles too. */
export function jsonDecodable(dataType: DataType): boolean {
  switch (dataType.kind) {
    case "b":
      return dataType.itemsize === 1;
    case "i":
    case "u":
      return [1, 2, 4, 8].includes(dataType.itemsize);
    case "f":
      return [2, 4, 8].includes(dataType.itemsize);
    default:
      return false;
  }
}

/** numpy type names (all native byte order, taken as little-endian). */
const NUMPY_NAMES: Readonly<Record<string, readonly [Kind, number]>> = {
  bool: ["b", 1],
  bool_: ["b", 1],
  "?": ["b", 1],
  int8: ["i", 1],
  int16: ["i", 2],
  int32: ["i", 4],
  int64: ["i", 8],
  int: ["i", 8],
  uint8: ["u", 1],
  uint16: ["u", 2],
  uint32: ["u", 4],
  uint64: ["u", 8],
  float16: ["f", 2],
  float32: ["f", 4],
  float64: ["f", 8],
  float: ["f", 8],
  double: ["f", 8],
  complex64: ["c", 8],
  complex128: ["c", 16],
  complex: ["c", 16],
};

const TYPESTR = /^([<>|=]?)([biufcmMSUV])(\d+)(\[\d*[A-Za-z\u03bc]+\])?$/;

/**
 * A numpy dtype string as a `DataType`: a type name (`"int64"`, `"float32"`, `"bool"`) or an
 * array-interface typestr (`"<f8"`, `">i4"`, `"|u1"`, `"<U5"`, `"<M8[ns]"`). The count after
 * `U` is characters, as in numpy, so `"<U5"` has itemsize 20. `=` and no prefix mean native
 * order, taken as little. Throws a RangeError for anything else; note numpy's one-letter codes
 * (`"b"` is int8 there, `"b1"` is bool) are not accepted, to avoid that trap.
 */
export function dataTypeFromNumpy(dtype: string): DataType {
  const named = NUMPY_NAMES[dtype];
  if (named) return dtypeOf(named[0], named[1]);
  const m = TYPESTR.exec(dtype);
  if (!m) throw new RangeError(`Not a numpy dtype string Tiled can describe: ${JSON.stringify(dtype)}`);
  const [, order = "", letter, count, units] = m;
  const kind = KINDS.find((k) => k === letter);
  if (!kind) throw new RangeError(`Unknown numpy kind in ${JSON.stringify(dtype)}`);
  const itemsize = Number(count) * (kind === "U" ? 4 : 1);
  const endianness: Endianness = order === ">" ? "big" : "little";
  return dtypeOf(kind, itemsize, { endianness, dtUnits: units ?? null });
}

/** The numpy typestr of a `DataType` (Tiled's `to_numpy_str`): `"<f8"`, `"|u1"`, `"<U5"`, `"<M8[ns]"`. */
export function numpyTypestr(dataType: DataType): string {
  const order = dataType.endianness === "big" ? ">" : dataType.endianness === "little" ? "<" : "|";
  const size = dataType.kind === "U" ? dataType.itemsize / 4 : dataType.itemsize;
  return `${order}${dataType.kind}${size}${dataType.dt_units ?? ""}`;
}
