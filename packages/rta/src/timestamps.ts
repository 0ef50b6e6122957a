/**
 * TimestampedData times: `t[0] = start_timestamp`, `t[i] = t[i-1] + timestamp_deltas[i] *
 * timestamp_deltas_scale`, with a first delta of 0. Dividing the deltas by their greatest common
 * divisor keeps them small, so their varints are short: samples every 1 ms give deltas of 1 and a
 * scale of 1,000,000. Times are int64 nanoseconds since the Unix epoch, as bigint.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export interface EncodedTimestamps {
  readonly start: bigint;
  readonly scale: bigint;
  readonly deltas: bigint[];
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/**
 * Encodes non-decreasing times as a start, a scale (the GCD of the steps; 1 if there are none or
 * all are 0) and deltas in units of the scale, the first 0. No times give start 0. Throws
 * RangeError if a time is outside int64 or earlier than the one before it.
 */
export function encodeTimestamps(times: readonly bigint[]): EncodedTimestamps {
  const steps: bigint[] = [];
  let scale = 0n;
  for (let i = 0; i < times.length; i++) {
    const t = times[i] as bigint;
    if (t < INT64_MIN || t > INT64_MAX) throw new RangeError(`time ${i} (${t} ns) is outside int64`);
    const step = i === 0 ? 0n : t - (times[i - 1] as bigint);
    if (step < 0n) throw new RangeError(`time ${i} (${t} ns) is before time ${i - 1} (${times[i - 1]} ns)`);
    if (step > INT64_MAX) throw new RangeError(`the step to time ${i} (${step} ns) is outside int64`);
    steps.push(step);
    scale = gcd(step, scale);
  }
  if (scale === 0n) scale = 1n;
  return { start: times[0] ?? 0n, scale, deltas: steps.map((step) => step / scale) };
}

/** The times of a TimestampedData message, one per delta. The first delta is 0 by definition and not read. */
export function decodeTimestamps(start: bigint, scale: bigint, deltas: readonly bigint[]): bigint[] {
  const times: bigint[] = [];
  let t = start;
  for (let i = 0; i < deltas.length; i++) {
    if (i > 0) t += (deltas[i] as bigint) * scale;
    times.push(t);
  }
  return times;
}
