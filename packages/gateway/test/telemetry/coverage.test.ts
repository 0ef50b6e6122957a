/** Per-channel coverage: overlaps refused, out-of-order bursts fitting a gap accepted, memory bounded. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChannelCoverage } from "../../src/telemetry/coverage.js";

describe("channel coverage", () => {
  it("finds overlaps with inclusive spans, per channel", () => {
    const c = new ChannelCoverage();
    c.add(1, 100n, 199n);
    assert.equal(c.overlaps(1, 199n, 250n), true);
    assert.equal(c.overlaps(1, 50n, 100n), true);
    assert.equal(c.overlaps(1, 120n, 130n), true);
    assert.equal(c.overlaps(1, 200n, 300n), false);
    assert.equal(c.overlaps(1, 0n, 99n), false);
    assert.equal(c.overlaps(2, 100n, 199n), false);
  });

  it("accepts late bursts that fit a gap, and joins spans nothing could fit between", () => {
    const c = new ChannelCoverage();
    c.add(1, 0n, 90n, 10n);
    c.add(1, 300n, 390n, 10n);
    assert.equal(c.overlaps(1, 100n, 290n), false, "the gap is free");
    c.add(1, 100n, 290n, 10n);
    assert.equal(c.overlaps(1, 95n, 96n), true, "joined: 90 and 100 are one interval apart");
    assert.equal(c.overlaps(1, 391n, 399n), false);
  });

  it("keeps at most maxSpans per channel, merging the oldest", () => {
    const c = new ChannelCoverage(4);
    for (let i = 0n; i < 10n; i++) c.add(1, i * 100n, i * 100n + 10n);
    // The oldest gaps are merged away: a late burst there is now refused...
    assert.equal(c.overlaps(1, 50n, 60n), true);
    // ...while the newest gaps are still open.
    assert.equal(c.overlaps(1, 850n, 860n), false);
  });
});
