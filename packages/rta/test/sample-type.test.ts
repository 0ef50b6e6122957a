import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodeSamples,
  encodeSamples,
  isSampleType,
  SAMPLE_TYPES,
  type SampleType,
  sampleWidth,
} from "../src/sample-type.js";

/** Per type: values at both ends of its range, and their little-endian bytes written by hand. */
const CASES: Record<SampleType, { values: number[]; hex: string }> = {
  u8: { values: [0, 1, 255], hex: "00 01 ff" },
  s8: { values: [-128, -1, 127], hex: "80 ff 7f" },
  u16: { values: [0, 0x1234, 65535], hex: "0000 3412 ffff" },
  s16: { values: [-32768, -2, 32767], hex: "0080 feff ff7f" },
  u32: { values: [0, 0x12345678, 4294967295], hex: "00000000 78563412 ffffffff" },
  s32: { values: [-2147483648, -3, 2147483647], hex: "00000080 fdffffff ffffff7f" },
  f32: { values: [1, -2.5, Number.POSITIVE_INFINITY], hex: "0000803f 000020c0 0000807f" },
  f64: { values: [1, -0.1, Number.NaN], hex: "000000000000f03f 9a9999999999b9bf 000000000000f87f" },
};

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex.replaceAll(" ", ""), "hex"));

describe("sample types", () => {
  it("lists the eight config types with their widths", () => {
    assert.deepEqual(
      SAMPLE_TYPES.map((type) => [type, sampleWidth(type)]),
      [
        ["u8", 1],
        ["s8", 1],
        ["u16", 2],
        ["s16", 2],
        ["u32", 4],
        ["s32", 4],
        ["f32", 4],
        ["f64", 8],
      ],
    );
    assert.ok(isSampleType("f64"));
    assert.ok(!isSampleType("f16"));
    assert.ok(!isSampleType("toString"));
  });

  for (const type of SAMPLE_TYPES) {
    const { values, hex } = CASES[type];
    it(`${type}: encodes little-endian and decodes back`, () => {
      assert.deepEqual(encodeSamples(type, values), bytes(hex));
      assert.deepEqual(decodeSamples(type, bytes(hex)), Float64Array.from(values));
    });

    it(`${type}: decodes from an odd offset (unaligned)`, () => {
      const shifted = new Uint8Array(bytes(hex).length + 1);
      shifted.set(bytes(hex), 1);
      assert.deepEqual(decodeSamples(type, shifted.subarray(1)), Float64Array.from(values));
    });
  }

  it("decodes an empty buffer to no samples", () => {
    assert.equal(decodeSamples("f64", new Uint8Array(0)).length, 0);
    assert.equal(encodeSamples("u16", []).length, 0);
  });

  it("refuses a buffer that is not a whole number of samples", () => {
    assert.throws(() => decodeSamples("s32", new Uint8Array(6)), {
      name: "RtaFormatError",
      message: "6 bytes are not a whole number of s32 samples (4 bytes)",
    });
  });

  it("rounds integer types to the nearest integer", () => {
    assert.deepEqual(decodeSamples("s16", encodeSamples("s16", [1.4, 1.5, -1.5, -1.6])), Float64Array.of(1, 2, -1, -2));
    assert.deepEqual(decodeSamples("u8", encodeSamples("u8", [254.6, -0.4])), Float64Array.of(255, 0));
  });

  it("rounds f32 to the nearest float32", () => {
    assert.deepEqual(
      decodeSamples("f32", encodeSamples("f32", [0.1, 1e39])),
      Float64Array.of(Math.fround(0.1), Infinity),
    );
  });

  it("refuses NaN, infinities and out-of-range values for integer types (RangeError, not a clamp)", () => {
    const bad: [SampleType, number][] = [
      ["u8", 256],
      ["u8", -1],
      ["u8", 255.5],
      ["s8", 128],
      ["s8", -129],
      ["u16", 65536],
      ["s16", -32769],
      ["u32", 2 ** 32],
      ["u32", -0.6],
      ["s32", 2 ** 31],
      ["s32", Number.NaN],
      ["u16", Number.POSITIVE_INFINITY],
      ["s32", Number.NEGATIVE_INFINITY],
    ];
    for (const [type, value] of bad) {
      assert.throws(() => encodeSamples(type, [0, value]), {
        name: "RangeError",
        message: new RegExp(`^sample 1 \\(${value}\\) is not a ${type} value`),
      });
    }
  });
});
