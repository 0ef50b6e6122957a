/**
 * Values written the way Python's `str()` writes them, for the error texts ophyd-websocket clients
 * know (`... to None`, `Low limit: -100.0`). JSON cannot tell 4.0 from 4, so whole floats from a
 * client print as integers.
 */

/** Texts echo at most this much of a client's value, and nest at most this deep: a hostile value stays cheap. */
const MAX_CHARS = 200;
const MAX_DEPTH = 8;

/** Python's `str()` of a value parsed from JSON, cut to `MAX_CHARS` (`...` marks a cut). */
export function pyStr(value: unknown): string {
  const text = typeof value === "string" ? value : pyRepr(value, 0);
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}...` : text;
}

function pyRepr(value: unknown, depth: number): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "string") return `'${value.slice(0, MAX_CHARS).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (depth >= MAX_DEPTH) return "...";
  if (Array.isArray(value))
    return `[${value
      .slice(0, MAX_CHARS)
      .map((v) => pyRepr(v, depth + 1))
      .join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value)
      .slice(0, MAX_CHARS)
      .map(([k, v]) => `${pyRepr(k, depth + 1)}: ${pyRepr(v, depth + 1)}`)
      .join(", ")}}`;
  }
  return String(value);
}

function pyNumber(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  return String(n);
}

/** A float as Python prints it: `-100.0`, `0.5`, `1e+20`. */
export function pyFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n}.0`;
  return pyNumber(n);
}
