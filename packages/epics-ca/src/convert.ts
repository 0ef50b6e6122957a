/**
 * Conversions of values between DBR base types, as a server does when a client asks for a type
 * other than the channel's native one (and as a client does for puts): numbers cast as C casts
 * them (truncated toward zero, wrapped to the width), enums to and from their labels, numbers to
 * and from strings. Long strings travel as CHAR arrays (`stringToChars`, `charsToString`).
 */
import type { DbrBase } from "./constants.js";
import type { DbrArray } from "./dbr.js";

/** A value that cannot be represented in the requested type (e.g. "abc" as DOUBLE). */
export class ConversionError extends Error {
  override readonly name = "ConversionError";
}

export interface ConversionContext {
  /** Labels of an ENUM channel, for ENUM <-> STRING. */
  readonly enumStrings?: readonly string[];
  /** Decimal places for FLOAT/DOUBLE -> STRING (the record's PREC), when known. */
  readonly precision?: number;
}

const NUMERIC: Record<Exclude<DbrBase, "STRING">, (values: ArrayLike<number>) => Exclude<DbrArray, string[]>> = {
  SHORT: (v) => Int16Array.from(v, truncate),
  FLOAT: (v) => Float32Array.from(v),
  ENUM: (v) => Uint16Array.from(v, truncate),
  CHAR: (v) => Uint8Array.from(v, truncate),
  LONG: (v) => Int32Array.from(v, truncate),
  DOUBLE: (v) => Float64Array.from(v),
};

/** C's float-to-integer cast, with NaN and infinities as 0 (where C leaves them undefined). */
function truncate(x: number): number {
  return Number.isFinite(x) ? Math.trunc(x) : 0;
}

/** Converts `values` of base type `from` to base type `to`. Throws ConversionError when one cannot be. */
export function convertValues(values: DbrArray, from: DbrBase, to: DbrBase, context: ConversionContext = {}): DbrArray {
  if (from === to) return values;
  if (to === "STRING") return Array.from(values as ArrayLike<number>, (v) => numberToString(v, from, context));
  if (from === "STRING") {
    const numbers = (values as string[]).map((s) => stringToNumber(s, to, context));
    return NUMERIC[to](numbers);
  }
  return NUMERIC[to](values as ArrayLike<number>);
}

function numberToString(v: number, from: DbrBase, context: ConversionContext): string {
  if (from === "ENUM") return context.enumStrings?.[v] ?? String(v);
  if ((from === "FLOAT" || from === "DOUBLE") && context.precision !== undefined && context.precision >= 0) {
    return v.toFixed(Math.min(context.precision, 17));
  }
  return String(v);
}

function stringToNumber(s: string, to: DbrBase, context: ConversionContext): number {
  if (to === "ENUM") {
    const index = context.enumStrings?.indexOf(s) ?? -1;
    if (index >= 0) return index;
  }
  const trimmed = s.trim();
  const n = trimmed === "" ? Number.NaN : Number(trimmed);
  if (Number.isNaN(n)) throw new ConversionError(`cannot convert ${JSON.stringify(s.slice(0, 40))} to ${to}`);
  return n;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A long string as the NUL-terminated CHAR array it travels as. */
export function stringToChars(s: string): Uint8Array {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** The string held by a CHAR array, up to its first NUL. */
export function charsToString(chars: Uint8Array): string {
  const nul = chars.indexOf(0);
  return decoder.decode(nul < 0 ? chars : chars.subarray(0, nul));
}
