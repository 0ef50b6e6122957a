/** Clock and timestamp formatting shared by sources and encoders. */

/** Milliseconds since the Unix epoch with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * ISO 8601 UTC with microseconds and `Z`, e.g. `2024-01-15T10:30:00.123456Z`.
 * `Date#toISOString` stops at milliseconds, so the last three digits are added here.
 */
export function isoMicros(ms: number): string {
  const micros = Math.round(ms * 1000);
  const wholeMs = Math.floor(micros / 1000);
  const extra = micros - wholeMs * 1000;
  const iso = new Date(wholeMs).toISOString();
  return `${iso.slice(0, -1)}${extra.toString().padStart(3, "0")}Z`;
}
