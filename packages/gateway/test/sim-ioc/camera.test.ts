/** The simulated camera over real CA: settings and readbacks, frames in Mono UInt8 and RGB1 UInt16, acquisition. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CaRequestError, type ChannelValue, dbrType, ECA } from "@beamgate/epics-ca";
import { Recorder, scalar, useTestIoc } from "./helpers.js";

const P = "13SIM1:";

describe("sim IOC camera", () => {
  const t = useTestIoc();

  async function put(name: string, value: string | number): Promise<void> {
    const channel = await t.channel(`${P}${name}`);
    await channel.put([String(value)], { base: "STRING" });
  }
  async function read(name: string): Promise<number> {
    return scalar(await (await t.channel(`${P}${name}`)).get());
  }
  async function readText(name: string): Promise<string> {
    return String((await (await t.channel(`${P}${name}`)).get({ dataType: dbrType("TIME", "STRING") })).value[0]);
  }
  /** Takes one image (ImageMode Single; the put of Acquire completes after it) and returns it. */
  async function acquireOne(): Promise<ChannelValue> {
    const frames = new Recorder(await t.channel(`${P}image1:ArrayData`));
    await frames.next(); // the current array, sent at once
    await put("cam1:ImageMode", "Single");
    await put("cam1:Acquire", 1);
    const frame = await frames.next();
    frames.stop();
    return frame;
  }

  it("serves ADSimDetector's records and labels", async () => {
    assert.equal(await read("cam1:MaxSizeX_RBV"), 1024);
    assert.equal(await read("cam1:SizeX_RBV"), 640);
    assert.equal(await read("cam1:SizeY_RBV"), 480);
    assert.equal(await readText("cam1:DataType_RBV"), "UInt8");
    assert.equal(await readText("cam1:Acquire"), "Done");
    const colorMode = await (await t.channel(`${P}cam1:ColorMode`)).get({ dataType: dbrType("CTRL", "ENUM") });
    assert.deepEqual(colorMode.enumStrings, ["Mono", "Bayer", "RGB1", "RGB2", "RGB3", "YUV444", "YUV422", "YUV421"]);
    const data = await t.channel(`${P}image1:ArrayData`);
    assert.equal(data.nativeType, 1, "SHORT, as NDStdArrays with FTVL=SHORT");
    assert.equal(data.nativeCount, 1024 * 1024 * 3);
  });

  it("sends a Mono UInt8 frame of SizeX x SizeY after the size changes", async () => {
    await put("cam1:SizeX", 320);
    await put("cam1:SizeY", 200);
    await put("cam1:ColorMode", "Mono");
    await put("cam1:DataType", "UInt8");
    assert.equal(await read("cam1:SizeX_RBV"), 320);
    const frame = await acquireOne();
    assert.equal(frame.value.length, 320 * 200);
    const pixels = frame.value as Int16Array;
    assert.ok(
      pixels.every((p) => p >= 0 && p <= 255),
      "8-bit values",
    );
    assert.ok(new Set(pixels).size > 10, "noise, not a flat image");
    assert.deepEqual(
      [await read("image1:ArraySize0_RBV"), await read("image1:ArraySize1_RBV"), await read("image1:ArraySize2_RBV")],
      [320, 200, 0],
    );
    assert.equal(await read("image1:NDimensions_RBV"), 2);
    assert.equal(await readText("image1:ColorMode_RBV"), "Mono");
    assert.equal(await readText("image1:DataType_RBV"), "UInt8");
    assert.equal(await readText("cam1:Acquire_RBV"), "Done", "Single mode ends after one image");
  });

  it("sends an RGB1 UInt16 frame, pixel-interleaved, binned", async () => {
    await put("cam1:SizeX", 200);
    await put("cam1:SizeY", 100);
    await put("cam1:BinX", 2);
    await put("cam1:ColorMode", "RGB1");
    await put("cam1:DataType", "UInt16");
    const frame = await acquireOne();
    assert.equal(frame.value.length, 3 * 100 * 100);
    const raw = frame.value as Int16Array;
    const pixels = new Uint16Array(raw.buffer, raw.byteOffset, raw.length);
    const sorted = Uint16Array.from(pixels).sort();
    assert.ok((sorted[sorted.length >> 1] as number) > 255, "16-bit values, read back as unsigned");
    assert.deepEqual(
      [await read("image1:ArraySize0_RBV"), await read("image1:ArraySize1_RBV"), await read("image1:ArraySize2_RBV")],
      [3, 100, 100],
    );
    assert.equal(await read("cam1:ArraySizeX_RBV"), 100);
    assert.equal(await read("cam1:ArraySize_RBV"), 3 * 100 * 100 * 2, "bytes");
    assert.equal(await readText("image1:DataType_RBV"), "UInt16");
    await put("cam1:BinX", 1);
  });

  it("acquires continuously at 1/AcquireTime until Acquire=0, which completes the put of Acquire=1", async () => {
    await put("cam1:SizeX", 64);
    await put("cam1:SizeY", 64);
    await put("cam1:ColorMode", "Mono");
    await put("cam1:ImageMode", "Continuous");
    await put("cam1:AcquireTime", 0.05);
    const counter = new Recorder(await t.channel(`${P}cam1:ArrayCounter_RBV`));
    const first = scalar(await counter.next());
    const acquire = await t.channel(`${P}cam1:Acquire`);
    let completed = false;
    const acquiring = acquire.put(Uint16Array.of(1), { timeoutMs: 10_000 }).then(() => {
      completed = true;
    });
    await counter.next((v) => scalar(v) === first + 1);
    const started = performance.now();
    await counter.next((v) => scalar(v) === first + 6);
    const hz = 5 / ((performance.now() - started) / 1000);
    // 20 Hz; never faster, and slower only on a loaded machine.
    assert.ok(hz > 5 && hz < 30, `${hz} frames/s at AcquireTime 0.05 s`);
    assert.equal(completed, false, "the put of Acquire=1 waits for the acquisition to end");
    await acquire.put(Uint16Array.of(0));
    await acquiring;
    assert.equal(await readText("cam1:DetectorState_RBV"), "Idle");
    counter.stop();
  });

  it("clips the region to the sensor in the readbacks", async () => {
    await put("cam1:MinX", 1000);
    await put("cam1:SizeX", 640);
    assert.equal(await read("cam1:SizeX"), 640, "the setting keeps what was written");
    assert.equal(await read("cam1:SizeX_RBV"), 24, "the readback shows what the driver uses");
    await put("cam1:MinX", 0);
    assert.equal(await read("cam1:SizeX_RBV"), 640);
  });

  it("refuses colour modes and data types it does not simulate", async () => {
    for (const [name, value] of [
      ["cam1:ColorMode", "Bayer"],
      ["cam1:DataType", "Float32"],
      ["cam1:AcquireTime", -1],
    ] as const) {
      await assert.rejects(put(name, value), (e: CaRequestError) => e.status === ECA.PUTFAIL, `${name} ${value}`);
    }
    assert.equal(await readText("cam1:ColorMode_RBV"), "Mono");
  });
});
