/**
 * The checks of an ophyd-websocket `set`, after the name and subscription checks, in the real
 * server's order and words: value coercion (numeric strings become numbers), the timeout, then the
 * control limits (only when they differ). `checkSet` returns what to write, or the error text.
 */
import type { Meta } from "../../core/values.js";
import { pyFloat, pyStr } from "./python-text.js";

export const DEFAULT_SET_TIMEOUT_S = 1;

export interface SetRequest {
  readonly value: unknown;
  readonly timeoutMs: number;
}

/** Python's `float(s)` / `int(s)` of a string that ophyd-websocket sees as numeric, or undefined. */
function numericString(s: string): number | undefined | "invalid" {
  if (!/^[\d.-]+$/.test(s) || !/\d/.test(s)) return undefined; // `s.replace('.','').replace('-','').isdigit()`
  const valid = s.includes(".") ? /^-?(\d+\.?\d*|\.\d+)$/ : /^-?\d+$/;
  return valid.test(s) ? Number(s) : "invalid";
}

const isArrayMeta = (meta: Meta | undefined) => meta?.count !== undefined;

/**
 * `what` is "PV" or "device" as the texts name it; `maxTimeoutMs` caps the timeout a client may ask for.
 */
export function checkSet(
  what: "PV" | "device",
  name: string,
  raw: { value: unknown; timeout: unknown },
  meta: Meta | undefined,
  maxTimeoutMs: number,
): SetRequest | { error: string } {
  let value = raw.value;
  const notNumber = () => ({ error: `Value must be a number. Could not set value of ${name} to ${pyStr(value)}` });
  if (typeof value === "string") {
    const n = numericString(value);
    if (n === "invalid") return notNumber();
    if (n !== undefined) value = n;
  } else if (typeof value === "boolean") {
    value = value ? 1 : 0;
  } else if (Array.isArray(value)) {
    // beamgate's addition: arrays for array PVs (the real server refuses every list).
    const numbers = value.length > 0 && value.every((v) => typeof v === "number" && Number.isFinite(v));
    const strings = value.length > 0 && value.every((v) => typeof v === "string");
    if (!isArrayMeta(meta) || !(numbers || strings)) return notNumber();
  } else if (typeof value !== "number") {
    return notNumber();
  }
  const timeout = raw.timeout === undefined ? DEFAULT_SET_TIMEOUT_S : raw.timeout;
  if (typeof timeout !== "number" || !(timeout > 0) || timeout * 1000 > maxTimeoutMs) {
    const why = typeof timeout === "number" && timeout > 0 ? ` (at most ${maxTimeoutMs / 1000} s)` : "";
    return { error: `Timeout must be a number${why}. Could not set value of ${name} to ${pyStr(value)}` };
  }
  const limits = meta?.dtype === "enum" ? undefined : meta?.control;
  if (typeof value === "number" && limits && limits.low !== limits.high) {
    if (value < limits.low || value > limits.high) {
      const show = meta?.dtype === "float64" || meta?.dtype === "float32" ? pyFloat : String;
      return {
        error:
          `Value ${pyStr(value)} is outside of limits for ${what} ${name}. ` +
          `Low limit: ${show(limits.low)}, High limit: ${show(limits.high)}`,
      };
    }
  }
  return { value, timeoutMs: timeout * 1000 };
}
