/** Summaries and number formats the benchmark reports share. */

/** Percentile `p` (0..100) of `values` (sorted in place), NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  values.sort((a, b) => a - b);
  const i = Math.min(values.length - 1, Math.max(0, Math.ceil((p / 100) * values.length) - 1));
  return values[i] as number;
}

export interface Percentiles {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Count, p50, p99 and maximum of durations in ms. */
export function percentiles(values: number[]): Percentiles {
  return {
    count: values.length,
    p50Ms: percentile(values, 50),
    p99Ms: percentile(values, 99),
    maxMs: values.length ? Math.max(...values) : Number.NaN,
  };
}

export const mean = (xs: readonly number[]): number =>
  xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `n` with `digits` decimals, "–" when not a number. */
export const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : "–");
/** `n` rounded, with thousands separators. */
export const grouped = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
/** A ratio as a whole percentage. */
export const percent = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : "–");
