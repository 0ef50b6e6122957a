/**
 * C escapes in strings, as EPICS base's epicsStrnEscapedFromRaw (output: caget prints strings
 * with `\n`, `\"`, `\x01`...) and epicsStrnRawFromEscaped (input: caput reads values with them).
 * Unlike EPICS, characters past ASCII are printed as they are, not as `\x..` bytes.
 */

const TO_ESCAPE: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  "\\": "\\\\",
  "'": "\\'",
  '"': '\\"',
};

const FROM_ESCAPE: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "?": "?",
};

export function escapedFromRaw(s: string): string {
  return s.replace(
    /[\x00-\x1f\x7f\\'"]/g,
    (c) => TO_ESCAPE[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** `\n`, `\t`..., octal `\101` and hex `\x41`; an unknown escape stands for its character. */
export function rawFromEscaped(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/gs, (_, e: string) => {
    if (e.startsWith("x") && e.length > 1) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return FROM_ESCAPE[e] ?? e;
  });
}
