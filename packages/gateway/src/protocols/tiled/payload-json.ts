/**
 * Raw array bytes as the JSON text of Tiled's JSON envelope: C-order bytes of a `DataType` and a
 * shape, written as nested lists, as Tiled does by decoding the upload with numpy
 * (`frombuffer(...).reshape(shape)`) and dumping it with orjson.
 *
 * Numbers are written here, not by JSON.stringify, because JS numbers cannot carry what the wire
 * needs: 64-bit integers are written exactly (digits from BigInt, never rounded to a double),
 * floats keep Python's spelling (`3.0`, `1e-05`, `1e+16`, `-0.0`: Python's `repr`, shortest
 * digits that read back to the same value). Decimal digits are those of orjson and Python; where
 * the exponent goes can differ from orjson's (`1e+16` here, `1e16` there), the values never do.
 *
 * Two choices, each with an option:
 * - NaN and ±Infinity become `null` by default, as orjson writes them, and the frame stays JSON a
 *   browser can parse; `nonFinite: "python"` writes `NaN`/`Infinity` as `json.dumps` would.
 * - float32 (and float16) elements get the shortest digits at their own precision by default
 *   (`0.1`), as orjson's numpy path writes them; `narrowFloats: "float64"` writes the exact value
 *   as a double (`0.10000000149011612`), as `tolist()` then `json.dumps` would.
 *
 * Beyond Tiled: big-endian arrays are decoded (orjson refuses non-native byte order, so Tiled's
 * JSON envelope fails on them) and 0-d arrays give a bare value. Booleans: any non-zero byte is
 * `true`. Kinds other than b1, i1-8, u1-8, f2/f4/f8 throw (see `jsonDecodable`).
 */
import { BeamgateError } from "../../errors.js";
import { byteLengthOf, type DataType, jsonDecodable } from "./data-type.js";

export interface PayloadJsonOptions {
  /** How NaN and ±Infinity are written: `"null"` (default, orjson) or `"python"` (`NaN`, `Infinity`). */
  readonly nonFinite?: "null" | "python";
  /** float32/float16 digits: `"shortest"` at their own precision (default, orjson) or `"float64"` (exact as a double). */
  readonly narrowFloats?: "shortest" | "float64";
}

/**
 * The payload of an `array-data` message as JSON text: nested lists following `shape` (a bare
 * value for shape `[]`). Throws a BeamgateError `BG_ERR_PUT_INVALID_VALUE` when the byte length is
 * not `prod(shape) * itemsize`, or when the data type has no JSON form here.
 */
export function arrayPayloadJson(
  bytes: Uint8Array,
  dataType: DataType,
  shape: readonly number[],
  options: PayloadJsonOptions = {},
): string {
  if (!jsonDecodable(dataType)) {
    throw new BeamgateError(
      "BG_ERR_PUT_INVALID_VALUE",
      `Arrays of kind "${dataType.kind}" itemsize ${dataType.itemsize} have no JSON form; use ?envelope_format=msgpack`,
    );
  }
  let expected: number;
  try {
    expected = byteLengthOf(dataType, shape);
  } catch (e) {
    throw new BeamgateError("BG_ERR_PUT_INVALID_VALUE", (e as Error).message, { cause: e });
  }
  if (bytes.byteLength !== expected) {
    throw new BeamgateError(
      "BG_ERR_PUT_INVALID_VALUE",
      `Expected ${expected} bytes for shape [${shape.join(",")}] of ${dataType.kind}${dataType.itemsize}, got ${bytes.byteLength}`,
    );
  }
  const read = elementWriter(bytes, dataType, options);
  const parts: string[] = [];
  let offset = 0;
  const writeDim = (dim: number): void => {
    if (dim === shape.length) {
      parts.push(read(offset));
      offset += dataType.itemsize;
      return;
    }
    const n = shape[dim] as number;
    parts.push("[");
    for (let i = 0; i < n; i++) {
      if (i > 0) parts.push(",");
      writeDim(dim + 1);
    }
    parts.push("]");
  };
  writeDim(0);
  return parts.join("");
}

/** A function writing the element at a byte offset as JSON text. */
function elementWriter(bytes: Uint8Array, dataType: DataType, options: PayloadJsonOptions): (at: number) => string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dataType.endianness !== "big"; // not_applicable is only ever single bytes
  const nonFinite = options.nonFinite ?? "null";
  const narrow = options.narrowFloats === "float64" ? formatFloat64 : formatFloat32;
  switch (`${dataType.kind}${dataType.itemsize}`) {
    case "b1":
      return (at) => (bytes[at] !== 0 ? "true" : "false");
    case "i1":
      return (at) => String(view.getInt8(at));
    case "u1":
      return (at) => String(bytes[at]);
    case "i2":
      return (at) => String(view.getInt16(at, le));
    case "u2":
      return (at) => String(view.getUint16(at, le));
    case "i4":
      return (at) => String(view.getInt32(at, le));
    case "u4":
      return (at) => String(view.getUint32(at, le));
    case "i8":
      return (at) => view.getBigInt64(at, le).toString();
    case "u8":
      return (at) => view.getBigUint64(at, le).toString();
    case "f2":
      return (at) => narrow(halfToNumber(view.getUint16(at, le)), nonFinite);
    case "f4":
      return (at) => narrow(view.getFloat32(at, le), nonFinite);
    case "f8":
      return (at) => formatFloat64(view.getFloat64(at, le), nonFinite);
    default:
      throw new Error(`unreachable: jsonDecodable admitted ${dataType.kind}${dataType.itemsize}`);
  }
}

/** IEEE 754 binary16 bits as a number (exact: every half is a double). */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function nonFiniteText(x: number, nonFinite: "null" | "python"): string {
  if (nonFinite === "null") return "null";
  if (Number.isNaN(x)) return "NaN";
  return x > 0 ? "Infinity" : "-Infinity";
}

/**
 * A double as Python's `repr` writes it: shortest round-trip digits, fixed notation with at least
 * one decimal (`3.0`) when 1e-4 <= |x| < 1e16, otherwise `d.ddde±XX` (`1e-05`, `1.5e+16`).
 */
export function formatFloat64(x: number, nonFinite: "null" | "python" = "null"): string {
  if (!Number.isFinite(x)) return nonFiniteText(x, nonFinite);
  const a = Math.abs(x);
  // In this range JS's own shortest form is laid out as Python's, but for a missing ".0".
  if (a >= 1e-4 && a < 1e16) {
    const s = String(x);
    return Number.isInteger(x) ? `${s}.0` : s;
  }
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // toExponential() without digits gives the shortest round-trip digits: "1.2345e+21".
  const [mantissa = "", exponent = "0"] = x.toExponential().split("e");
  return pythonLayout(x < 0, mantissa.replace("-", "").replace(".", ""), Number(exponent));
}

/**
 * A float32 value (given as the double it widens to) with the fewest digits that read back to the
 * same float32, laid out as `formatFloat64` does: float32 0.1 gives `0.1`, as orjson and numpy
 * print it. Doubles that are not float32 values get the digits of their nearest float32.
 */
export function formatFloat32(x: number, nonFinite: "null" | "python" = "null"): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) return nonFiniteText(f, nonFinite);
  if (f === 0) return Object.is(f, -0) ? "-0.0" : "0.0";
  // Below 2^24 every integer is a float32, so an integer's own digits are the shortest.
  if (Number.isInteger(f) && Math.abs(f) < 2 ** 24) return `${f}.0`;
  const [digits, exponent] = shortestFloat32Digits(Math.abs(f));
  return pythonLayout(f < 0, digits, exponent);
}

/**
 * Shortest digits (no trailing zeros) and decimal exponent of the first digit for a positive
 * float32 `f`, as Ryu (orjson) and Dragon4 (numpy) give them. For a precision p, the only p-digit
 * decimals that can read back to `f` are the two that bracket it; the p-digit prefix of f's
 * 9-digit rounding is one of them or next to them, so that prefix and its two neighbours are
 * tried. Whether some p-digit decimal reads back only grows with p (9 always does), so p is found
 * by bisection. Of the decimals that read back, the closest wins, an exact tie going to the even
 * digit. (Trying `toExponential(p - 1)` for p = 1, 2, ... instead is about 25 times slower.)
 */
function shortestFloat32Digits(f: number): [string, number] {
  const [digits, first] = nineDigits(f);
  const nine = Number(digits);
  const fitsAt = (p: number): number[] | undefined => {
    const prefix = Math.floor(nine / (POW10[9 - p] as number));
    const scale = first - (p - 1);
    const fits: number[] = [];
    for (let c = prefix - 1; c <= prefix + 1; c++) {
      if (c > 0 && Math.fround(decimal(c, scale)) === f) fits.push(c);
    }
    return fits.length > 0 ? fits : undefined;
  };
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fitsAt(mid)) hi = mid;
    else lo = mid + 1;
  }
  const fits = fitsAt(lo);
  if (!fits) throw new Error(`unreachable: no float32 digits for ${f}`); // nine digits always fit
  const scale = first - (lo - 1);
  const best = fits.length === 1 ? (fits[0] as number) : closest(f, fits, scale);
  const all = String(best);
  return [all.replace(/0+$/, ""), scale + all.length - 1];
}

/** The 9 significant digits of positive `x` correctly rounded, and the exponent of the first. */
function nineDigits(x: number): [string, number] {
  const s = x.toPrecision(9); // "1.23456789e-7", "123.456789" or "0.000123456789"
  const e = s.indexOf("e");
  const mantissa = e < 0 ? s : s.slice(0, e);
  const dot = mantissa.indexOf(".");
  const whole = dot < 0 ? mantissa : mantissa.slice(0, dot);
  const all = dot < 0 ? mantissa : whole + mantissa.slice(dot + 1);
  let lead = 0;
  while (all.charCodeAt(lead) === 48 /* "0" */) lead++;
  return [all.slice(lead, lead + 9), (e < 0 ? 0 : Number(s.slice(e + 1))) + whole.length - 1 - lead];
}

/** Exact powers of ten as doubles (literals, so correctly rounded; all exact up to 1e22). */
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];

/**
 * The double nearest to `c` * 10^scale, for an integer c < 2^53. With an exact power of ten this
 * is one correctly rounded operation, the same double as parsing the decimal; beyond, it parses.
 */
function decimal(c: number, scale: number): number {
  if (scale >= 0 && scale <= 22) return c * (POW10[scale] as number);
  if (scale < 0 && scale >= -22) return c / (POW10[-scale] as number);
  return Number(`${c}e${scale}`);
}

const f32 = new DataView(new ArrayBuffer(4));

/**
 * Of the digit strings `candidates` (times 10^scale), the one closest to float32 `f`, compared
 * exactly in BigInt (doubles cannot tell a tie from a near tie); a tie goes to the even one.
 */
function closest(f: number, candidates: readonly number[], scale: number): number {
  // Usually doubles tell: candidates are a digit apart (>= 1e-9 of f) and each distance is off by
  // at most an ulp or two of f. Only a near tie needs exact arithmetic.
  let nearest = candidates[0] as number;
  let nearestDistance = Number.POSITIVE_INFINITY;
  let runnerUp = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = Math.abs(decimal(c, scale) - f);
    if (d < nearestDistance) {
      runnerUp = nearestDistance;
      nearest = c;
      nearestDistance = d;
    } else if (d < runnerUp) {
      runnerUp = d;
    }
  }
  if (runnerUp - nearestDistance > f * 2 ** -48) return nearest;
  f32.setFloat32(0, f);
  const bits = f32.getUint32(0);
  const biased = (bits >>> 23) & 0xff;
  const mantissa = BigInt(biased === 0 ? bits & 0x7fffff : (bits & 0x7fffff) | 0x800000);
  const exponent2 = biased === 0 ? -149 : biased - 150; // f = mantissa * 2^exponent2
  // Scale both sides by 2^b * 10^a so that every exponent is non-negative.
  const a = Math.max(0, -scale);
  const b = Math.max(0, -exponent2);
  const target = mantissa * 2n ** BigInt(exponent2 + b) * 10n ** BigInt(a);
  const unit = 10n ** BigInt(scale + a) * 2n ** BigInt(b);
  let best = candidates[0] as number;
  let bestDistance: bigint | undefined;
  for (const c of candidates) {
    const v = BigInt(c) * unit;
    const d = v > target ? v - target : target - v;
    if (bestDistance === undefined || d < bestDistance || (d === bestDistance && c % 2 === 0)) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Python's `float_repr` layout of `digits` (first digit at 10^exponent): fixed notation when
 * -4 <= exponent < 16, else scientific with a signed exponent of at least two digits.
 */
function pythonLayout(negative: boolean, digits: string, exponent: number): string {
  const point = exponent + 1; // digits before the decimal point
  let body: string;
  if (point > -4 && point <= 16) {
    if (point <= 0) body = `0.${"0".repeat(-point)}${digits}`;
    else if (point >= digits.length) body = `${digits}${"0".repeat(point - digits.length)}.0`;
    else body = `${digits.slice(0, point)}.${digits.slice(point)}`;
  } else {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const magnitude = Math.abs(exponent);
    body = `${mantissa}e${exponent < 0 ? "-" : "+"}${magnitude < 10 ? "0" : ""}${magnitude}`;
  }
  return negative ? `-${body}` : body;
}
