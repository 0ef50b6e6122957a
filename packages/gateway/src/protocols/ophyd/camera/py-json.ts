/**
 * JSON as Python's `json.dumps` writes it with its defaults, which the real camera-socket uses for
 * its text frames: `", "` and `": "` separators and every character outside printable ASCII
 * escaped (`ensure_ascii`). Enough for the flat objects this socket sends.
 */

export type PyJsonValue = string | number | boolean | null;

export function pyJson(object: Readonly<Record<string, PyJsonValue>>): string {
  const members = Object.entries(object).map(([key, value]) => `${pyString(key)}: ${pyValue(value)}`);
  return `{${members.join(", ")}}`;
}

function pyValue(value: PyJsonValue): string {
  if (typeof value === "string") return pyString(value);
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  }
  return JSON.stringify(value);
}

function pyString(s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
