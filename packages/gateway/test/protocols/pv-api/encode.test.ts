/** Golden messages of the /ws PV API, byte for byte as ../shared/specs/pv-api-ws.md gives them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DataEvent } from "../../../src/core/events.js";
import { initialValue, PvNamePrefixes, sampleBody } from "../../../src/protocols/pv-api/encode.js";

const updateBytes = (name: string, ev: DataEvent) => Buffer.concat([new PvNamePrefixes(name).update, sampleBody(ev)]);
const entryBytes = (name: string, ev: DataEvent) => Buffer.concat([new PvNamePrefixes(name).entry, sampleBody(ev)]);

const topic = { uri: "loc://PV:NAME:1", epoch: "e", kind: "state" as const, nextSequence: 1 };
const at = (iso: string, micros: number) => Date.parse(iso) + micros / 1000;
const event = (value: number | Float64Array, ms: number, severity = 0, status = 0) =>
  new DataEvent(topic, 1, { value, timestamp: ms, alarm: { severity, status } }, 8);

describe("PV API golden messages", () => {
  it("update", () => {
    const ev = event(42.5, at("2024-01-15T10:30:00.123Z", 456));
    assert.equal(
      updateBytes("PV:NAME:1", ev).toString(),
      '{"type":"update","pv_name":"PV:NAME:1","value":42.5,"timestamp":"2024-01-15T10:30:00.123456Z","status":0,"severity":0}',
    );
  });

  it("batch_update entry", () => {
    const ev = event(3.14, at("2024-01-15T10:30:00.123Z", 789));
    assert.equal(
      entryBytes("PV:NAME:2", ev).toString(),
      '{"pv_name":"PV:NAME:2","value":3.14,"timestamp":"2024-01-15T10:30:00.123789Z","status":0,"severity":0}',
    );
  });

  it("initial value, alarm codes numeric", () => {
    const ev = event(42.5, at("2024-01-15T10:30:00.123Z", 456), 2, 3);
    assert.equal(
      initialValue(ev.sample, true),
      '{"value":42.5,"timestamp":"2024-01-15T10:30:00.123456Z","status":3,"severity":2}',
    );
    assert.equal(
      initialValue(ev.sample, false),
      '{"value":42.5,"timestamp":"2024-01-15T10:30:00.123456Z","status":9,"severity":3}',
      "a disconnected PV reports INVALID severity and COMM status",
    );
  });

  it("arrays as JSON arrays, NaN and Infinity as null", () => {
    const ev = event(Float64Array.from([1, Number.NaN, Number.POSITIVE_INFINITY, -0.5]), 0);
    assert.match(updateBytes("W", ev).toString(), /"value":\[1,null,null,-0.5\]/);
    assert.match(updateBytes("N", event(Number.NaN, 0)).toString(), /"value":null,/);
  });

  it("encodes each event's sample once, shared by every name and connection", () => {
    const ev = event(1, 0);
    assert.equal(sampleBody(ev), sampleBody(ev));
    assert.equal(updateBytes("A", ev).toString(), updateBytes("A", ev).toString());
  });
});
