/** Clock and timestamp formatting shared by sources and encoders. */

let offsetMs = Date.now() - performance.now();
let offsetCheckedAt = performance.now();

/**
 * Milliseconds since the Unix epoch with sub-millisecond resolution: the monotonic clock, re-aligned
 * with the wall clock every second so that clock steps (NTP) are followed.
 */
export function nowMs(): number {
  const now = performance.now();
  if (now - offsetCheckedAt > 1000) {
    offsetMs = Date.now() - now;
    offsetCheckedAt = now;
  }
  return now + offsetMs;
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
