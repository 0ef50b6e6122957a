import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DataEvent } from "../../src/core/events.js";
import { LogWindow } from "../../src/core/log-window.js";

const topic = { uri: "test://log", epoch: "e", kind: "log" as const, nextSequence: 1 };
const record = (sequence: number, bytes = 10) =>
  new DataEvent(topic, sequence, { value: `r${sequence}`, timestamp: 0, alarm: { severity: 0, status: 0 } }, bytes);

describe("LogWindow", () => {
  it("keeps exactly maxRecords records, the newest", () => {
    const w = new LogWindow(100, 1e9);
    for (let i = 1; i <= 100; i++) w.push(record(i));
    assert.equal(w.size, 100);
    assert.equal(w.firstSequence, 1);
    w.push(record(101));
    assert.equal(w.size, 100);
    assert.equal(w.firstSequence, 2);
    assert.deepEqual(
      w.from(0).map((e) => e.sequence),
      Array.from({ length: 100 }, (_, i) => i + 2),
    );
  });

  it("keeps at most maxBytes, evicting the oldest, and keeps the newest even if alone too big", () => {
    const w = new LogWindow(1000, 100);
    for (let i = 1; i <= 10; i++) w.push(record(i, 10));
    assert.equal(w.bytes, 100);
    w.push(record(11, 10));
    assert.equal(w.bytes, 100);
    assert.equal(w.firstSequence, 2);
    w.push(record(12, 500));
    assert.equal(w.size, 1);
    assert.equal(w.firstSequence, 12);
  });

  it("returns records from a sequence in the middle, and nothing past the end", () => {
    const w = new LogWindow(8, 1e9);
    for (let i = 1; i <= 20; i++) w.push(record(i)); // wraps the ring twice
    assert.deepEqual(
      w.from(17).map((e) => e.sequence),
      [17, 18, 19, 20],
    );
    assert.deepEqual(w.from(21), []);
    assert.equal(new LogWindow(4, 100).firstSequence, undefined);
  });
});
