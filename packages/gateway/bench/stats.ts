/**
 * Latency arithmetic for the benchmark: the clock (µs since the Unix epoch, sub-µs resolution),
 * ISO 8601 timestamps read straight from message bytes with their microseconds, and a
 * fixed-bucket histogram that client processes fill and the bench merges to get percentiles.
 */

/** Now, in µs since the Unix epoch: the same clock the gateway stamps samples with (`core/time.ts`). */
export function nowMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

const ZERO = 0x30;

function digits(buf: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) v = v * 10 + ((buf[i] as number) - ZERO);
  return v;
}

/**
 * The instant of an ISO 8601 UTC timestamp `YYYY-MM-DDTHH:MM:SS[.f...]Z` starting at `at`, in µs
 * since the Unix epoch. Fraction digits past the sixth are ignored; fewer are scaled.
 */
export function isoMicrosAt(buf: Uint8Array, at: number): number {
  const whole = Date.UTC(
    digits(buf, at, 4),
    digits(buf, at + 5, 2) - 1,
    digits(buf, at + 8, 2),
    digits(buf, at + 11, 2),
    digits(buf, at + 14, 2),
    digits(buf, at + 17, 2),
  );
  let micros = 0;
  if (buf[at + 19] === 0x2e) {
    let scale = 100_000;
    for (let i = at + 20; scale >= 1; i++, scale /= 10) {
      const d = (buf[i] as number) - ZERO;
      if (d < 0 || d > 9) break;
      micros += d * scale;
    }
  }
  return whole * 1000 + micros;
}

/** Epoch seconds written as a JSON number (`1795254992.515151`) at `at`, in microseconds. */
export function secondsMicrosAt(buf: Uint8Array, at: number): number {
  let whole = 0;
  let i = at;
  for (let d = (buf[i] as number) - ZERO; d >= 0 && d <= 9; d = (buf[++i] as number) - ZERO) whole = whole * 10 + d;
  let micros = 0;
  if (buf[i] === 0x2e) {
    let scale = 100_000;
    for (i++; scale >= 1; i++, scale /= 10) {
      const d = (buf[i] as number) - ZERO;
      if (d < 0 || d > 9) break;
      micros += d * scale;
    }
  }
  return whole * 1_000_000 + micros;
}

/** Bucket i holds latencies up to GROWTH^i µs: 1 % resolution from 1 µs to beyond 100 s. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 2000;

/** A histogram as it crosses process boundaries (IPC messages are JSON). */
export interface HistogramData {
  readonly counts: readonly number[];
  /** Largest latency, µs. */
  readonly max: number;
}

export class LatencyHistogram implements HistogramData {
  readonly counts: number[];
  max: number;

  constructor(data?: HistogramData) {
    this.counts = data ? [...data.counts] : new Array<number>(BUCKETS).fill(0);
    this.max = data?.max ?? 0;
  }

  record(micros: number): void {
    if (micros > this.max) this.max = micros;
    const i = micros <= 1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(micros) / LOG_GROWTH));
    this.counts[i] = (this.counts[i] as number) + 1;
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  add(other: HistogramData): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number);
    this.max = Math.max(this.max, other.max);
  }

  /** The latency (µs, its bucket's upper bound) under which a fraction `q` of the samples fall. */
  quantile(q: number): number {
    const total = this.total;
    if (total === 0) return Number.NaN;
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return Math.min(GROWTH ** i, this.max);
    }
    return this.max;
  }
}
