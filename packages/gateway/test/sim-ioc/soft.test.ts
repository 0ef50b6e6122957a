/** The soft records over real CA: enum labels, strings, long strings, the fast counter. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CaRequestError, charsToString, dbrType, ECA, stringToChars } from "@beamgate/epics-ca";
import { Recorder, scalar, useTestIoc } from "./helpers.js";

describe("sim IOC soft records", () => {
  const t = useTestIoc();

  it("serves enums with their labels, written by label or index", async () => {
    const mode = await t.channel("SIM:mode");
    assert.equal(mode.nativeType, 3, "ENUM");
    const ctrl = await mode.get({ dataType: dbrType("CTRL", "ENUM") });
    assert.deepEqual(ctrl.enumStrings, ["Idle", "Step", "Fly", "Calibrate"]);
    await mode.put(["Fly"], { base: "STRING" });
    assert.deepEqual((await mode.get({ dataType: dbrType("TIME", "STRING") })).value, ["Fly"]);
    await mode.put(Uint16Array.of(1));
    assert.deepEqual((await mode.get({ dataType: dbrType("TIME", "STRING") })).value, ["Step"]);
    await assert.rejects(mode.put(Uint16Array.of(4)), (e: CaRequestError) => e.status === ECA.PUTFAIL);
    const enable = await t.channel("SIM:enable");
    assert.deepEqual((await enable.get({ dataType: dbrType("CTRL", "ENUM") })).enumStrings, ["Disabled", "Enabled"]);
  });

  it("serves strings: a writable status and the IOC's clock", async () => {
    const status = await t.channel("SIM:status");
    assert.deepEqual((await status.get()).value, ["Ready"]);
    await status.put(["Beam on"]);
    assert.deepEqual((await status.get()).value, ["Beam on"]);
    const time = await t.channel("SIM:time");
    assert.match(String((await time.get()).value[0]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(time.accessRights, 1, "read-only");
  });

  it("serves a long string as a CHAR array of up to 1024 bytes", async () => {
    const text = await t.channel("SIM:longString");
    assert.equal(text.nativeType, 4, "CHAR");
    assert.equal(text.nativeCount, 1024);
    const initial = charsToString((await text.get()).value as Uint8Array);
    assert.ok(initial.length > 40, "longer than a DBR_STRING");
    const long = "x".repeat(600) + " é";
    await text.put(stringToChars(long));
    assert.equal(charsToString((await text.get()).value as Uint8Array), long);
    await text.put(stringToChars("y".repeat(2000)));
    assert.equal(charsToString((await text.get()).value as Uint8Array), "y".repeat(1023), "cut to fit, NUL last");
  });

  it("counts at 100 Hz", async () => {
    const counter = new Recorder(await t.channel("SIM:counter"));
    const first = scalar(await counter.next());
    const started = performance.now();
    await counter.next((v) => scalar(v) >= first + 50, 5000);
    const hz = 50 / ((performance.now() - started) / 1000);
    // Never faster than 100 Hz; slower only on a loaded machine.
    assert.ok(hz > 20 && hz < 130, `${hz} Hz`);
    counter.stop();
  });
});
