/** The array records over real CA: a travelling sine of 1000 points, a 1024-channel spectrum. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Recorder, useTestIoc } from "./helpers.js";

describe("sim IOC waveforms", () => {
  const t = useTestIoc();

  it("posts a 1000-point DOUBLE sine that travels", async () => {
    const wave = await t.channel("SIM:wave");
    assert.equal(wave.nativeType, 6);
    assert.equal(wave.nativeCount, 1000);
    const updates = new Recorder(wave);
    const a = (await updates.next()).value as Float64Array;
    const b = (await updates.next()).value as Float64Array;
    updates.stop();
    assert.equal(b.length, 1000);
    assert.ok(
      b.every((y) => y >= -1 && y <= 1),
      "within ±1",
    );
    assert.notDeepEqual(a, b, "it moves");
  });

  it("posts a 1024-channel LONG spectrum with its peaks", async () => {
    const spectrum = await t.channel("SIM:spectrum");
    assert.equal(spectrum.nativeType, 5);
    const updates = new Recorder(spectrum);
    await updates.next();
    const counts = (await updates.next()).value as Int32Array;
    updates.stop();
    assert.equal(counts.length, 1024);
    assert.ok((counts[220] as number) > 5 * (counts[600] as number), "a peak at channel 220");
  });
});
