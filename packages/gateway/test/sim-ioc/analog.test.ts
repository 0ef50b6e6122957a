/** The analog records over real CA: ai1's alarms follow its value, the setpoint clamps, the readback follows. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dbrType, ALARM_SEVERITY as SEVERITY, ALARM_STATUS as STATUS } from "@beamgate/epics-ca";
import { Recorder, scalar, useTestIoc } from "./helpers.js";

describe("sim IOC analog records", () => {
  const t = useTestIoc();

  it("ai1 crosses HIGH and HIHI (or LOW and LOLO) and posts the alarm with the value", async () => {
    const ai1 = await t.channel("SIM:ai1");
    const ctrl = await ai1.get({ dataType: dbrType("CTRL", "DOUBLE") });
    assert.deepEqual(
      [ctrl.limits?.lowerAlarm, ctrl.limits?.lowerWarning, ctrl.limits?.upperWarning, ctrl.limits?.upperAlarm],
      [-9, -7, 7, 9],
    );
    const updates = new Recorder(ai1);
    // One 6 s period of the sine holds every alarm state.
    const minor = await updates.next((v) => v.severity === SEVERITY.MINOR, 7000);
    const major = await updates.next((v) => v.severity === SEVERITY.MAJOR, 7000);
    await updates.next((v) => v.severity === SEVERITY.NO_ALARM, 7000);
    updates.stop();
    assert.ok([STATUS.HIGH, STATUS.LOW].includes(minor.status as 4 | 6), `MINOR is HIGH or LOW: ${minor.status}`);
    assert.ok([STATUS.HIHI, STATUS.LOLO].includes(major.status as 3 | 5), `MAJOR is HIHI or LOLO: ${major.status}`);
    for (const v of updates.values) {
      const x = Math.abs(scalar(v));
      const expected = x >= 9 ? SEVERITY.MAJOR : x >= 7 ? SEVERITY.MINOR : SEVERITY.NO_ALARM;
      assert.equal(v.severity, expected, `severity of ${scalar(v)}`);
    }
  });

  it("clamps the setpoint to its drive limits, and the readback follows it", async () => {
    const setpoint = await t.channel("SIM:setpoint");
    await setpoint.put(Float64Array.of(150));
    assert.equal(scalar(await setpoint.get()), 100);
    const ctrl = await setpoint.get({ dataType: dbrType("CTRL", "DOUBLE") });
    assert.equal(ctrl.limits?.upperControl, 100);
    assert.equal(ctrl.units, "A");
    await setpoint.put(Float64Array.of(20));
    const readback = new Recorder(await t.channel("SIM:readback"));
    await readback.next((v) => scalar(v) > 10 && scalar(v) < 21, 5000);
    readback.stop();
  });
});
