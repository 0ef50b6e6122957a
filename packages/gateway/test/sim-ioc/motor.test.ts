/** The simulated motors over real CA: moves with completion, soft limits, STOP, metadata. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CaRequestError, charsToString, dbrType, ECA, stringToChars } from "@beamgate/epics-ca";
import { Recorder, scalar, useTestIoc } from "./helpers.js";

describe("sim IOC motors", () => {
  const t = useTestIoc();

  it("moves at VELO, posting RBV on the way, with DMOV/MOVN, and completes the put on arrival", async () => {
    const velo = await t.channel("SIM:m1.VELO");
    await velo.put(Float64Array.of(2));
    const m1 = await t.channel("SIM:m1");
    const rbv = new Recorder(await t.channel("SIM:m1.RBV"));
    const dmov = new Recorder(await t.channel("SIM:m1.DMOV"));
    const movn = new Recorder(await t.channel("SIM:m1.MOVN"));
    await dmov.next((v) => scalar(v) === 1);
    await movn.next((v) => scalar(v) === 0);

    const started = performance.now();
    await m1.put(Float64Array.of(1), { timeoutMs: 5000 });
    const seconds = (performance.now() - started) / 1000;
    // 1 mm at 2 mm/s, plus at most one 100 ms poll and slack for a loaded machine.
    assert.ok(seconds >= 0.49 && seconds < 1.2, `arrived after ${seconds} s`);

    await dmov.next((v) => scalar(v) === 0);
    await dmov.next((v) => scalar(v) === 1);
    await movn.next((v) => scalar(v) === 1);
    await movn.next((v) => scalar(v) === 0);
    await rbv.next((v) => scalar(v) === 1);
    const path = rbv.values.map(scalar);
    const between = path.filter((x) => x > 0 && x < 1);
    assert.ok(between.length >= 3, `RBV posted on the way: ${path}`);
    assert.deepEqual(
      between,
      [...between].sort((a, b) => a - b),
      "RBV only increases",
    );
    assert.equal(scalar(await (await t.channel("SIM:m1.VAL")).get()), 1, "VAL is the bare name's field");
    for (const r of [rbv, dmov, movn]) r.stop();
  });

  it("refuses a target beyond HLM and does not move", async () => {
    const m2 = await t.channel("SIM:m2");
    const rbv = await t.channel("SIM:m2.RBV");
    const before = scalar(await rbv.get());
    await assert.rejects(m2.put(Float64Array.of(30)), (e: CaRequestError) => e.status === ECA.PUTFAIL);
    await assert.rejects(m2.put(Float64Array.of(-26)), (e: CaRequestError) => e.status === ECA.PUTFAIL);
    assert.equal(scalar(await (await t.channel("SIM:m2.LVIO")).get()), 1);
    assert.equal(scalar(await rbv.get()), before);
    assert.equal(scalar(await m2.get()), before, "VAL unchanged");
    assert.equal(scalar(await (await t.channel("SIM:m2.DMOV")).get()), 1);

    // Raising HLM makes the same target acceptable.
    await (await t.channel("SIM:m2.HLM")).put(Float64Array.of(40));
    const ctrl = await m2.get({ dataType: dbrType("CTRL", "DOUBLE") });
    assert.equal(ctrl.limits?.upperControl, 40);
    await (await t.channel("SIM:m2.VELO")).put(Float64Array.of(100));
    await m2.put(Float64Array.of(30));
    assert.equal(scalar(await rbv.get()), 30);
    assert.equal(scalar(await (await t.channel("SIM:m2.LVIO")).get()), 0);
    await assert.rejects(
      (await t.channel("SIM:m2.LLM")).put(Float64Array.of(50)),
      (e: CaRequestError) => e.status === ECA.PUTFAIL,
      "LLM above HLM",
    );
  });

  it("STOP stops the motor where it is and completes the pending put", async () => {
    const m3 = await t.channel("SIM:m3");
    const rbv = new Recorder(await t.channel("SIM:m3.RBV"));
    const move = m3.put(Float64Array.of(170), { timeoutMs: 30_000 }); // 17 s at 10 deg/s
    await rbv.next((v) => scalar(v) > 1);
    const stopped = performance.now();
    await (await t.channel("SIM:m3.STOP")).put(Int16Array.of(1));
    await move;
    assert.ok(performance.now() - stopped < 1000, "the move's put completed on STOP");
    const position = scalar(await (await t.channel("SIM:m3.RBV")).get());
    assert.ok(position > 1 && position < 170, `stopped at ${position}`);
    assert.equal(scalar(await m3.get()), position, "VAL = RBV after a stop");
    assert.equal(scalar(await (await t.channel("SIM:m3.DMOV")).get()), 1);
    assert.equal(scalar(await (await t.channel("SIM:m3.MOVN")).get()), 0);
    assert.equal(scalar(await (await t.channel("SIM:m3.STOP")).get()), 0, "STOP resets");
    rbv.stop();
  });

  it("serves units, precision and description, DESC also as a long string", async () => {
    const m4 = await t.channel("SIM:m4.RBV");
    const ctrl = await m4.get({ dataType: dbrType("CTRL", "DOUBLE") });
    assert.equal(ctrl.units, "mm");
    assert.equal(ctrl.precision, 1);
    assert.equal(ctrl.limits?.lowerControl, 100);
    assert.deepEqual((await (await t.channel("SIM:m4.EGU")).get()).value, ["mm"]);
    assert.equal(scalar(await (await t.channel("SIM:m4.PREC")).get()), 1);
    assert.deepEqual((await (await t.channel("SIM:m4.DESC")).get()).value, ["Detector distance"]);

    const prec = await t.channel("SIM:m4.PREC");
    await prec.put(Int16Array.of(4));
    assert.equal((await m4.get({ dataType: dbrType("CTRL", "DOUBLE") })).precision, 4);

    const longDesc = await t.channel("SIM:m4.DESC$");
    assert.equal(longDesc.nativeType, 4, "CHAR");
    assert.equal(charsToString((await longDesc.get()).value as Uint8Array), "Detector distance");
    await longDesc.put(stringToChars("Detector distance from the sample"));
    assert.deepEqual((await (await t.channel("SIM:m4.DESC")).get()).value, ["Detector distance from the sample"]);
  });
});
