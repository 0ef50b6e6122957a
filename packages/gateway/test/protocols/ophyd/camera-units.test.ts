/**
 * camera-socket's parts without a server: the first message's PV names, the settings frame, data
 * types, normalization (checked by hand here; the formulas were also compared with the real
 * server's numpy code on random arrays of every type and colour mode), reshaping, and the encoder.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import sharp from "sharp";
import type { NumericArray } from "../../../src/core/values.js";
import { asDataType, DATA_TYPES } from "../../../src/protocols/ophyd/camera/data-types.js";
import { encodeJpeg } from "../../../src/protocols/ophyd/camera/encoder.js";
import { imageSettings, roundHalfEven, settingsText } from "../../../src/protocols/ophyd/camera/image-settings.js";
import { interleave, normalizeImage, ShapeError, toBytes } from "../../../src/protocols/ophyd/camera/normalize.js";
import { pyJson } from "../../../src/protocols/ophyd/camera/py-json.js";
import { FrameRenderer, FrameSkipped } from "../../../src/protocols/ophyd/camera/renderer.js";
import { cameraPvs, DEFAULT_CAMERA_PVS, InitError, parseInit } from "../../../src/protocols/ophyd/camera/settings.js";
import { NormalizePool } from "../../../src/protocols/ophyd/camera/worker-pool.js";

const bytes = (a: Uint8Array) => [...a];

describe("camera-socket first message", () => {
  it("uses the 13SIM1 defaults for {}", () => {
    assert.deepEqual(parseInit("{}"), DEFAULT_CAMERA_PVS);
    assert.deepEqual(DEFAULT_CAMERA_PVS, {
      imageArray: "13SIM1:image1:ArrayData",
      startX: "13SIM1:cam1:MinX",
      startY: "13SIM1:cam1:MinY",
      sizeX: "13SIM1:cam1:SizeX",
      sizeY: "13SIM1:cam1:SizeY",
      colorMode: "13SIM1:cam1:ColorMode",
      dataType: "13SIM1:cam1:DataType",
    });
  });

  it("derives missing settings from the image PV's first segment", () => {
    const pvs = cameraPvs({ imageArray_PV: "MYDET:image1:ArrayData", sizeY: "OTHER:Height" });
    assert.equal(pvs.imageArray, "MYDET:image1:ArrayData");
    assert.equal(pvs.startX, "MYDET:cam1:MinX");
    assert.equal(pvs.sizeX, "MYDET:cam1:SizeX");
    assert.equal(pvs.sizeY, "OTHER:Height");
    assert.equal(pvs.dataType, "MYDET:cam1:DataType");
    // Only the first colon-separated segment is kept.
    assert.equal(cameraPvs({ imageArray_PV: "BL:DET1:image1:ArrayData" }).colorMode, "BL:cam1:ColorMode");
    assert.equal(cameraPvs({ imageArray_PV: "NOCOLON" }).sizeX, "NOCOLON:cam1:SizeX");
  });

  it("falls back to the 13SIM1 default, not the prefix, for an empty setting", () => {
    assert.equal(cameraPvs({ imageArray_PV: "MYDET:image1:ArrayData", startY: "" }).startY, "13SIM1:cam1:MinY");
    const empty = cameraPvs({ imageArray_PV: "", sizeX: "X:W", sizeY: "" });
    assert.equal(empty.imageArray, "13SIM1:image1:ArrayData");
    assert.equal(empty.sizeX, "X:W");
    assert.equal(empty.sizeY, "13SIM1:cam1:SizeY");
    assert.equal(empty.startX, "13SIM1:cam1:MinX");
  });

  it("keeps a scheme in front of derived names", () => {
    const pvs = cameraPvs({ imageArray_PV: "ca://MYDET:image1:ArrayData" });
    assert.equal(pvs.startX, "ca://MYDET:cam1:MinX");
  });

  it("refuses what is not an object of PV names", () => {
    assert.throws(
      () => parseInit("{nope"),
      (e: Error) => e instanceof InitError && e.message.startsWith("Invalid JSON"),
    );
    assert.throws(() => parseInit("[]"), InitError);
    assert.throws(() => parseInit('{"imageArray_PV": 5}'), /imageArray_PV must be a PV name/);
    assert.throws(() => parseInit('{"sizeX": null}'), /sizeX must be a PV name/);
  });
});

describe("camera-socket settings frame", () => {
  const value = (v: number | string, enumLabels?: string[]) => ({
    value: v,
    meta: { kind: "state" as const, dtype: "enum" as const, ...(enumLabels ? { enumLabels } : {}) },
  });

  it("writes Python's json.dumps spacing and escapes", () => {
    assert.equal(
      pyJson({ x: 8, y: 8, colorMode: "Mono", dataType: "UInt16" }),
      '{"x": 8, "y": 8, "colorMode": "Mono", "dataType": "UInt16"}',
    );
    assert.equal(pyJson({ logNormalization: false }), '{"logNormalization": false}');
    assert.equal(pyJson({ error: 'é "q"\n' }), '{"error": "\\u00e9 \\"q\\"\\n"}');
  });

  it("is SizeX by SizeY, whatever the region's offset, with the PVs' enum labels", () => {
    const simModes = ["Mono", "Bayer", "RGB1", "RGB2", "RGB3"];
    const s = imageSettings({
      startX: value(10),
      startY: value(0),
      sizeX: value(640),
      sizeY: value(480),
      colorMode: value(2, simModes),
      dataType: value(3),
    });
    assert.deepEqual(s, { x: 640, y: 480, colorMode: "RGB1", dataType: "UInt16" });
    assert.equal(settingsText(s), '{"x": 640, "y": 480, "colorMode": "RGB1", "dataType": "UInt16"}');
    // Without enum labels, the real server's default lists.
    assert.equal(
      imageSettings({
        ...s,
        ...{
          startX: value(0),
          startY: value(0),
          sizeX: value(1),
          sizeY: value(1),
          colorMode: value(2),
          dataType: value(9),
        },
      }).colorMode,
      "RGB2",
    );
  });

  it("rounds halves to even, as Python", () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, -2, 2, 3]);
  });
});

describe("camera-socket data types", () => {
  it("reads a SHORT waveform under each data type as numpy casts it", () => {
    const wire = Int16Array.of(-1, 300, 7);
    assert.deepEqual([...asDataType(wire, "UInt16")], [65535, 300, 7]);
    assert.deepEqual([...asDataType(wire, "Int8")], [-1, 44, 7]);
    assert.deepEqual([...asDataType(wire, "UInt8")], [255, 44, 7]);
    assert.deepEqual([...asDataType(wire, "Int16")], [-1, 300, 7]);
    assert.deepEqual([...asDataType(wire, "UInt32")], [4294967295, 300, 7]);
    assert.deepEqual([...asDataType(wire, "Float32")], [-1, 300, 7]);
    assert.deepEqual([...asDataType(wire, "Float64")], [-1, 300, 7]);
    assert.deepEqual([...asDataType(wire, "Int64")], [-1, 300, 7]);
    assert.deepEqual([...asDataType(wire, "UInt64")], [65535, 300, 7]);
  });

  it("reads LONG, CHAR, FLOAT and DOUBLE arrays", () => {
    assert.deepEqual([...asDataType(Int32Array.of(-1, 5), "UInt32")], [4294967295, 5]);
    assert.deepEqual([...asDataType(Int32Array.of(-1, 5), "UInt64")], [4294967295, 5]);
    assert.deepEqual([...asDataType(Uint8Array.of(255, 1), "Int8")], [-1, 1]);
    assert.deepEqual([...asDataType(Float64Array.of(2.7, -2.7, 70000), "Int16")], [2, -2, 4464]);
    assert.deepEqual([...asDataType(Float64Array.of(2.7, -2.7), "Int64")], [2, -2]);
    assert.deepEqual([...asDataType(Float64Array.of(0.1), "Float32")], [Math.fround(0.1)]);
    assert.deepEqual([...asDataType(Float32Array.of(1.5), "Float64")], [1.5]);
  });

  it("views same-width integers rather than copying them", () => {
    const wire = Int16Array.of(-1, 2);
    const view = asDataType(wire, "UInt16");
    assert.equal(view.buffer, wire.buffer);
  });
});

describe("camera-socket normalization", () => {
  it("linear: a / max * 255, truncated", () => {
    assert.deepEqual(bytes(toBytes(Uint16Array.of(0, 5, 10), false)), [0, 127, 255]);
    assert.deepEqual(bytes(toBytes(Float64Array.of(0, 5, 10), false)), [0, 127, 255]);
    // max <= 0 divides by 1; negative results clamp to 0
    assert.deepEqual(bytes(toBytes(Int16Array.of(0, 0), false)), [0, 0]);
    assert.deepEqual(bytes(toBytes(Int16Array.of(-4, 2), false)), [0, 255]);
  });

  it("log: log(a + 1) scaled from its min to its max", () => {
    // log(1), log(6), log(11): 0, 1.7918/2.3979 * 255 = 190.54, 255
    assert.deepEqual(bytes(toBytes(Uint16Array.of(0, 5, 10), true)), [0, 190, 255]);
    // ln 2 / ln 8 = 1/3: 85.00000000000001
    assert.deepEqual(bytes(toBytes(Float64Array.of(0, 1, 3, 7), true)), [0, 85, 170, 255]);
    // A flat image is black; negative values count as 0.
    assert.deepEqual(bytes(toBytes(Uint8Array.of(9, 9), true)), [0, 0]);
    assert.deepEqual(bytes(toBytes(Int16Array.of(-50, 0, 5, 10), true)), [0, 0, 190, 255]);
  });

  it("handles every data type alike for the same values", () => {
    const wire: Partial<Record<string, new (values: number[]) => NumericArray>> = {
      Float32: Float32Array,
      Float64: Float64Array,
      Int32: Int32Array,
      UInt32: Int32Array,
    };
    for (const dataType of DATA_TYPES) {
      const raw = new (wire[dataType] ?? Int16Array)([0, 5, 10]);
      const data = asDataType(raw, dataType);
      assert.deepEqual(bytes(toBytes(data, false)), [0, 127, 255], `${dataType} linear`);
      assert.deepEqual(bytes(toBytes(data, true)), [0, 190, 255], `${dataType} log`);
    }
  });

  it("keeps NaN black and infinities out of the range", () => {
    assert.deepEqual(
      bytes(toBytes(Float64Array.of(Number.NaN, 0, 10, Number.POSITIVE_INFINITY), false)),
      [0, 0, 255, 255],
    );
    assert.deepEqual(
      bytes(toBytes(Float64Array.of(Number.NaN, 0, 10, Number.POSITIVE_INFINITY), true)),
      [0, 0, 255, 255],
    );
  });

  it("reshapes RGB1, RGB2 and RGB3 to interleaved RGB like the real server (arange(12), 2x2)", () => {
    const arange = Uint8Array.from({ length: 12 }, (_, i) => i);
    assert.deepEqual(bytes(interleave(arange, 2, 2, "RGB1")), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual(bytes(interleave(arange, 2, 2, "RGB2")), [0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11]);
    assert.deepEqual(bytes(interleave(arange, 2, 2, "RGB3")), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    const image = normalizeImage(Uint16Array.from(arange), 2, 2, "RGB3", false);
    assert.equal(image.channels, 3);
    // pixel [0,0] is arange's 0, 4, 8 scaled by 255/11
    assert.deepEqual(bytes(image.pixels.subarray(0, 3)), [0, 92, 185]);
  });

  it("refuses an array whose size does not match the settings", () => {
    assert.throws(() => normalizeImage(new Uint8Array(5), 2, 2, "Mono", true), ShapeError);
    assert.throws(() => normalizeImage(new Uint8Array(4), 2, 2, "RGB1", true), ShapeError);
    assert.throws(() => normalizeImage(new Uint8Array(0), 0, 0, "Mono", true), ShapeError);
  });
});

describe("camera-socket encoding", () => {
  it("writes gray as a one-channel JPEG and RGB as three", async () => {
    const gray = await encodeJpeg(
      { pixels: new Uint8Array(64 * 48).fill(128), width: 64, height: 48, channels: 1 },
      { quality: 90, maxDimension: 2048 },
    );
    assert.deepEqual(await dims(gray), { format: "jpeg", width: 64, height: 48, channels: 1 });
    const rgb = await encodeJpeg(
      { pixels: new Uint8Array(64 * 48 * 3).fill(200), width: 64, height: 48, channels: 3 },
      { quality: 90, maxDimension: 2048 },
    );
    assert.deepEqual(await dims(rgb), { format: "jpeg", width: 64, height: 48, channels: 3 });
  });

  it("scales an image larger than the limit down, keeping its aspect ratio", async () => {
    const jpeg = await encodeJpeg(
      { pixels: new Uint8Array(1000 * 400), width: 1000, height: 400, channels: 1 },
      { quality: 75, maxDimension: 250 },
    );
    assert.deepEqual(await dims(jpeg), { format: "jpeg", width: 250, height: 100, channels: 1 });
  });

  it("renders on a pool thread, and skips arrays that do not fit the settings", async () => {
    const pool = new NormalizePool(1, 50);
    const renderer = new FrameRenderer(pool, { quality: 90, maxDimension: 2048 });
    try {
      const settings = { x: 4, y: 2, colorMode: "RGB2", dataType: "UInt16" };
      const jpeg = await renderer.render(new Int16Array(24).fill(-1), settings, true);
      assert.deepEqual(await dims(jpeg), { format: "jpeg", width: 4, height: 2, channels: 3 });
      assert.equal(pool.threads, 1);
      await assert.rejects(renderer.render(new Int16Array(23), settings, true), FrameSkipped);
      await assert.rejects(
        renderer.render(new Int16Array(8), { ...settings, colorMode: "Bayer" }, true),
        /Unsupported color mode: Bayer/,
      );
      await assert.rejects(
        renderer.render(new Int16Array(8), { ...settings, colorMode: "Mono", dataType: "UInt12" }, true),
        /Unsupported data type/,
      );
      await assert.rejects(renderer.render(7, settings, true), FrameSkipped);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(pool.threads, 0, "idle threads stop");
    } finally {
      await pool.close();
    }
  });
});

async function dims(jpeg: Buffer) {
  const m = await sharp(jpeg).metadata();
  return { format: m.format, width: m.width, height: m.height, channels: m.channels };
}
