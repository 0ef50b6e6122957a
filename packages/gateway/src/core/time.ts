/** Clock and timestamp formatting shared by sources and encoders. */

let offsetMs = performance.timeOrigin;
let offsetCheckedAt = performance.now();

/** Drift from the wall clock past which the offset is re-aligned (a clock step, not Date.now's 1 ms grain). */
const STEP_MS = 2;

/**
 * Milliseconds since the Unix epoch with sub-millisecond resolution: the monotonic clock from
 * `performance.timeOrigin`, checked against the wall clock every second and re-aligned only when
 * they differ by more than 2 ms, so that clock steps are followed without jitter.
 */
export function nowMs(): number {
  const now = performance.now();
  if (now - offsetCheckedAt > 1000) {
    offsetCheckedAt = now;
    const wall = Date.now();
    if (Math.abs(wall - (now + offsetMs)) > STEP_MS) offsetMs = wall - now;
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
