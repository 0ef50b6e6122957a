/**
 * JSON with 64-bit integers. RTA times are int64 nanoseconds, past a double's 2^53, so they are
 * bigints in memory and plain JSON integers on the wire (Node 20 has no `JSON.rawJSON`).
 */

import { randomBytes } from "node:crypto";

// Bigints go through JSON.stringify as marked strings, then lose their quotes. The mark is random
// per process, so no string a client sent can pass for one.
const MARK = `bigint-${randomBytes(8).toString("hex")}:`;
const MARKED = new RegExp(`"${MARK}(-?\\d+)"`, "g");

/** `JSON.stringify`, writing bigints as bare integers. */
export function stringifyBig(value: unknown): string {
  const text = JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? `${MARK}${v}` : v));
  return text.includes(MARK) ? text.replace(MARKED, "$1") : text;
}

/**
 * A JSON value as an int64 nanosecond time or duration: an integer number (exact only up to 2^53,
 * so larger ones are refused rather than rounded) or a string of digits.
 */
export function toNanos(value: unknown, what: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`${what} must be an integer of nanoseconds (past 2^53, send it as a string of digits)`);
    }
    return BigInt(value);
  }
  if (typeof value === "string" && /^-?\d{1,19}$/.test(value)) {
    const n = BigInt(value);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return n;
  }
  throw new RangeError(`${what} must be an int64 of nanoseconds, a number or a string of digits`);
}

export function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
