/**
 * Values as JSON: typed arrays become arrays, and NaN and ±Infinity become `null`, since JSON has
 * no token for them (browsers' JSON.parse rejects bare NaN). Shared by the JSON protocols.
 */
import { isNumericArray, type Value } from "../core/values.js";

export function jsonValue(value: Value): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (isNumericArray(value)) {
    const out = new Array<number | null>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = value[i] as number;
      out[i] = Number.isFinite(v) ? v : null;
    }
    return out;
  }
  return value;
}
