import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BeaconTracker } from "../src/beacon-tracker.js";

describe("BeaconTracker", () => {
  it("calls a server not heard before an anomaly, its steady beacons not", () => {
    const tracker = new BeaconTracker();
    assert.equal(tracker.observe("10.0.0.1:5064", 0, 0), true);
    let t = 0;
    let interval = 20;
    for (let id = 1; id < 12; id++) {
      t += interval;
      interval = Math.min(interval * 2, 15_000); // RSRV's start-up doubling, then the steady period
      assert.equal(tracker.observe("10.0.0.1:5064", id, t), false, `beacon ${id}`);
    }
  });

  it("calls a beacon id that went back (a restart) an anomaly", () => {
    const tracker = new BeaconTracker();
    tracker.observe("s:1", 40, 0);
    tracker.observe("s:1", 41, 15_000);
    assert.equal(tracker.observe("s:1", 0, 16_000), true);
    assert.equal(tracker.observe("s:1", 1, 16_020), false);
  });

  it("calls a long silence (the server was out of reach) an anomaly", () => {
    const tracker = new BeaconTracker();
    tracker.observe("s:1", 1, 0);
    tracker.observe("s:1", 2, 15_000);
    assert.equal(tracker.observe("s:1", 3, 30_000), false);
    assert.equal(tracker.observe("s:1", 4, 30_000 + 60_000), true);
  });

  it("ignores the same beacon arriving twice (redundant routes)", () => {
    const tracker = new BeaconTracker();
    tracker.observe("s:1", 5, 0);
    assert.equal(tracker.observe("s:1", 5, 1), false);
  });

  it("forgets the least recently heard server when full", () => {
    const tracker = new BeaconTracker(2);
    tracker.observe("a", 1, 0);
    tracker.observe("b", 1, 0);
    tracker.observe("a", 2, 10);
    tracker.observe("c", 1, 20); // evicts b
    assert.equal(tracker.observe("a", 3, 30), false);
    assert.equal(tracker.observe("b", 2, 40), true, "b was forgotten, so it is new again");
  });
});
