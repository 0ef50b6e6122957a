import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isoMicros, nowMs } from "../../src/core/time.js";

describe("isoMicros", () => {
  it("formats UTC with six fractional digits and Z", () => {
    assert.equal(isoMicros(Date.UTC(2024, 0, 15, 10, 30, 0, 123) + 0.456), "2024-01-15T10:30:00.123456Z");
    assert.equal(isoMicros(Date.UTC(2024, 0, 15, 10, 30, 0, 0)), "2024-01-15T10:30:00.000000Z");
  });

  it("rounds to the nearest microsecond, carrying into milliseconds", () => {
    assert.equal(isoMicros(Date.UTC(2024, 0, 15, 10, 30, 0, 999) + 0.9999), "2024-01-15T10:30:01.000000Z");
  });

  it("nowMs tracks the wall clock with sub-millisecond resolution", () => {
    const t = nowMs();
    assert.ok(Math.abs(t - Date.now()) < 50);
  });
});
