import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConversionError, charsToString, convertValues, stringToChars } from "../src/convert.js";

describe("DBR conversions", () => {
  it("casts numbers as C does: truncated toward zero and wrapped to the width", () => {
    assert.deepEqual(
      convertValues(Float64Array.of(1.9, -1.9, 40_000), "DOUBLE", "SHORT"),
      Int16Array.of(1, -1, -25_536),
    );
    assert.deepEqual(convertValues(Float64Array.of(300.7), "DOUBLE", "CHAR"), Uint8Array.of(44));
    assert.deepEqual(convertValues(Int32Array.of(7), "LONG", "DOUBLE"), Float64Array.of(7));
    assert.deepEqual(convertValues(Float64Array.of(0.1), "DOUBLE", "FLOAT"), Float32Array.of(0.1));
    assert.deepEqual(convertValues(Float64Array.of(Number.NaN), "DOUBLE", "LONG"), Int32Array.of(0));
  });

  it("turns numbers into strings, with the channel's precision for floating point", () => {
    assert.deepEqual(convertValues(Float64Array.of(1.23456), "DOUBLE", "STRING", { precision: 3 }), ["1.235"]);
    assert.deepEqual(convertValues(Float64Array.of(1.5), "DOUBLE", "STRING"), ["1.5"]);
    assert.deepEqual(convertValues(Int16Array.of(-4), "SHORT", "STRING", { precision: 3 }), ["-4"]);
  });

  it("maps enums to and from their labels", () => {
    const context = { enumStrings: ["Out", "In"] };
    assert.deepEqual(convertValues(Uint16Array.of(1, 0, 7), "ENUM", "STRING", context), ["In", "Out", "7"]);
    assert.deepEqual(convertValues(["In", "0"], "STRING", "ENUM", context), Uint16Array.of(1, 0));
  });

  it("parses strings into numbers, refusing what is not a number", () => {
    assert.deepEqual(convertValues([" 7.25 ", "-4"], "STRING", "DOUBLE"), Float64Array.of(7.25, -4));
    for (const bad of ["abc", "", "1,5"]) {
      assert.throws(() => convertValues([bad], "STRING", "DOUBLE"), ConversionError, bad);
    }
    assert.throws(() => convertValues(["Sideways"], "STRING", "ENUM", { enumStrings: ["Out", "In"] }), ConversionError);
  });

  it("carries long strings as NUL-terminated CHAR arrays", () => {
    const long = "a description much longer than the forty bytes of a DBR_STRING ✓";
    const chars = stringToChars(long);
    assert.equal(chars.at(-1), 0);
    assert.equal(charsToString(chars), long);
    assert.equal(charsToString(Uint8Array.of(104, 105, 0, 120)), "hi");
  });
});
