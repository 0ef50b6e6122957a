import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { AlarmStatus, isNumericArray, Severity } from "../../../src/core/values.js";
import { SIM_FUNCTIONS } from "../../../src/sources/sim/functions.js";
import { SimSource } from "../../../src/sources/sim/source.js";
import { RecordingSink } from "../../helpers/sink.js";

const sim = new SimSource();
after(() => sim.close());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function open(path: string) {
  const sink = new RecordingSink();
  const upstream = sim.open(sim.resolve(path), sink);
  return { sink, upstream };
}

describe("SimSource", () => {
  it("reports metadata, connection and a first value at once for every function", () => {
    for (const name of Object.keys(SIM_FUNCTIONS)) {
      const { sink, upstream } = open(name);
      assert.deepEqual(sink.order, ["meta", "connected", "data"], name);
      assert.equal(sink.statuses[0]?.writeAccess, false, `${name} is read-only`);
      upstream.close();
    }
  });

  it("updates at the requested rate and stops when closed", async () => {
    const { sink, upstream } = open("counter(0.01)");
    await sleep(120);
    upstream.close();
    const n = sink.samples.length;
    assert.ok(n >= 5 && n <= 16, `expected ~12 samples at 100 Hz in 120 ms, got ${n}`);
    assert.deepEqual(
      sink.samples.slice(0, 3).map((s) => s.value),
      [0, 1, 2],
    );
    await sleep(40);
    assert.equal(sink.samples.length, n, "no samples after close");
  });

  it("sine carries Phoebus limits (80 % warning, 90 % alarm) and raises HIHI/LOLO at its peaks", () => {
    const { sink, upstream } = open("sine(0,10,4,1)");
    upstream.close();
    const meta = sink.metas[0];
    assert.deepEqual(meta?.display, { low: 0, high: 10 });
    assert.deepEqual(meta?.alarmLimits, { lolo: 0.5, low: 1, high: 9, hihi: 9.5 });
    assert.equal(meta?.units, "V");
    assert.equal(meta?.precision, 3);
    // Four steps per cycle: 5, 10, 5, 0 -> NO_ALARM, HIHI, NO_ALARM, LOLO.
    const fn = SIM_FUNCTIONS.sine?.make([0, 10, 4, 1]);
    const alarms = [0, 1, 2, 3].map(() => fn?.next()?.alarm);
    assert.deepEqual(alarms, [
      { severity: Severity.NO_ALARM, status: AlarmStatus.NO_ALARM },
      { severity: Severity.MAJOR, status: AlarmStatus.HIHI },
      { severity: Severity.NO_ALARM, status: AlarmStatus.NO_ALARM },
      { severity: Severity.MAJOR, status: AlarmStatus.LOLO },
    ]);
  });

  it("produces arrays, strings and enums with their metadata", () => {
    const wave = open("sinewave(1,10,64,1)");
    wave.upstream.close();
    const v = wave.sink.samples[0]?.value;
    assert.ok(isNumericArray(v) && v.length === 64 && v instanceof Float64Array);
    assert.equal(wave.sink.metas[0]?.count, 64);

    const str = open("strings");
    str.upstream.close();
    assert.equal(str.sink.samples[0]?.value, "Message 1");

    const en = open("enum");
    en.upstream.close();
    assert.deepEqual(en.sink.metas[0]?.enumLabels, ["Idle", "Acquire", "Readout", "Fault"]);
    assert.equal(en.sink.samples[0]?.value, 0);
  });

  it("enum raises a STATE alarm in its Fault state", () => {
    const fn = SIM_FUNCTIONS.enum?.make([]);
    const alarms = [0, 1, 2, 3].map(() => fn?.next()?.alarm.severity);
    assert.deepEqual(alarms, [0, 0, 0, Severity.MAJOR]);
  });

  it("intermittent disconnects and reconnects", async () => {
    const { sink, upstream } = open("intermittent(0.01)");
    await sleep(100);
    upstream.close();
    assert.ok(sink.order.includes("disconnected"));
    assert.ok(sink.order.lastIndexOf("connected") > sink.order.indexOf("disconnected"));
  });

  it("console is a log topic of text lines", () => {
    const { sink, upstream } = open("console");
    upstream.close();
    assert.equal(sink.metas[0]?.kind, "log");
    assert.match(String(sink.samples[0]?.value), /^\[I .* sim\] Step 1: /);
  });

  it("canonicalizes spellings", () => {
    assert.equal(sim.resolve("sine( 0, 1 ,0.5 )"), "sine(0,1,0.5)");
  });

  it("reports unknown functions as not found and bad arguments as invalid", () => {
    assert.throws(() => sim.resolve("bogus"), { code: "BG_ERR_TOPIC_NOT_FOUND" });
    assert.throws(() => sim.resolve("toString"), { code: "BG_ERR_TOPIC_NOT_FOUND" });
    assert.throws(() => sim.resolve("sine(1,2)"), { code: "BG_ERR_TOPIC_INVALID" });
    assert.throws(() => sim.resolve("sine(5,1,0.1)"), { code: "BG_ERR_TOPIC_INVALID" });
    assert.throws(() => sim.resolve("sine(0,1,0)"), { code: "BG_ERR_TOPIC_INVALID" });
    assert.throws(() => sim.resolve("counter(0.0001)"), { code: "BG_ERR_TOPIC_INVALID" });
    assert.throws(() => sim.resolve('sine("a","b",1)'), { code: "BG_ERR_TOPIC_INVALID" });
    assert.throws(() => sim.resolve("sinewave(1,10,1000000,1)"), { code: "BG_ERR_TOPIC_INVALID" });
    assert.throws(() => sim.resolve("noisewave(0,1,100000,0.001)"), /elements per second/);
    assert.doesNotThrow(() => sim.resolve("noisewave(0,1,1000,0.001)"));
    assert.throws(() => sim.resolve("sine<VDouble>"), { code: "BG_ERR_TOPIC_INVALID" });
  });
});
