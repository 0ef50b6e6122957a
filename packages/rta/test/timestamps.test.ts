import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeTimestamps, encodeTimestamps } from "../src/timestamps.js";

const T = 1_732_000_000_123_456_789n; // past 2^53

describe("TimestampedData timestamps", () => {
  it("scales the deltas by their GCD, the first delta 0", () => {
    const times = [T, T + 2_000_000n, T + 3_000_000n, T + 7_000_000n];
    const encoded = encodeTimestamps(times);
    assert.deepEqual(encoded, { start: T, scale: 1_000_000n, deltas: [0n, 2n, 1n, 4n] });
    assert.deepEqual(decodeTimestamps(encoded.start, encoded.scale, encoded.deltas), times);
  });

  it("keeps a GCD of 1 ns when the steps share nothing", () => {
    const times = [T, T + 6n, T + 6n + 35n];
    assert.deepEqual(encodeTimestamps(times), { start: T, scale: 1n, deltas: [0n, 6n, 35n] });
  });

  it("uses the GCD of steps that are not multiples of the smallest", () => {
    const times = [0n, 600n, 1500n]; // steps 600 and 900: GCD 300
    assert.deepEqual(encodeTimestamps(times), { start: 0n, scale: 300n, deltas: [0n, 2n, 3n] });
  });

  it("gives a scale of 1 for repeated times, a single time and no times", () => {
    assert.deepEqual(encodeTimestamps([T, T, T]), { start: T, scale: 1n, deltas: [0n, 0n, 0n] });
    assert.deepEqual(encodeTimestamps([T]), { start: T, scale: 1n, deltas: [0n] });
    assert.deepEqual(encodeTimestamps([]), { start: 0n, scale: 1n, deltas: [] });
  });

  it("ignores zero steps when taking the GCD", () => {
    const times = [T, T, T + 500n, T + 500n, T + 1500n];
    assert.deepEqual(encodeTimestamps(times), { start: T, scale: 500n, deltas: [0n, 0n, 1n, 0n, 2n] });
  });

  it("handles times before the epoch", () => {
    const times = [-3_000n, -1_000n, 1_000n];
    const encoded = encodeTimestamps(times);
    assert.deepEqual(encoded, { start: -3_000n, scale: 2_000n, deltas: [0n, 1n, 1n] });
    assert.deepEqual(decodeTimestamps(encoded.start, encoded.scale, encoded.deltas), times);
  });

  it("refuses decreasing times", () => {
    assert.throws(() => encodeTimestamps([T, T + 10n, T + 9n]), {
      name: "RangeError",
      message: `time 2 (${T + 9n} ns) is before time 1 (${T + 10n} ns)`,
    });
  });

  it("refuses times outside int64, and steps too large for int64", () => {
    assert.throws(() => encodeTimestamps([2n ** 63n]), /time 0 \(9223372036854775808 ns\) is outside int64/);
    assert.throws(() => encodeTimestamps([-(2n ** 63n), 2n ** 63n - 1n]), /the step to time 1 .* is outside int64/);
  });

  it("decodes with t[0] = start and does not read the first delta", () => {
    assert.deepEqual(decodeTimestamps(T, 10n, [5n, 1n, 2n]), [T, T + 10n, T + 30n]);
    assert.deepEqual(decodeTimestamps(T, 10n, []), []);
  });
});
