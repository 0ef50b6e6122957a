/** What caput writes for its arguments. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PutValueError, putValue } from "../../../src/cli/ca/put-value.js";

const plain = { array: false, charArray: false, enumAs: "auto" } as const;
const labels = ["Off", "On", "Fault"];

describe("putValue", () => {
  it("joins the arguments into one string, escapes undone, for the server to convert", () => {
    assert.deepEqual(putValue(["1.5"], plain), { value: ["1.5"], base: "STRING", warnings: [] });
    assert.deepEqual(putValue(["a", "b\\tc"], plain).value, ["a b\tc"]);
  });

  it("writes each argument as an element with -a, a string as a CHAR array with -S", () => {
    assert.deepEqual(putValue(["1", "2"], { ...plain, array: true }).value, ["1", "2"]);
    assert.deepEqual(putValue(["hi", "there"], { ...plain, charArray: true }), {
      value: Uint8Array.of(104, 105, 32, 116, 104, 101, 114, 101, 0),
      base: "CHAR",
      warnings: [],
    });
  });

  it("writes enums as indexes: a label's, or a number, warning past the last label", () => {
    assert.deepEqual(putValue(["On"], plain, labels), { value: Float64Array.of(1), base: "DOUBLE", warnings: [] });
    assert.deepEqual(putValue(["2"], plain, labels).value, Float64Array.of(2));
    assert.deepEqual(putValue(["Fault", "0"], { ...plain, array: true }, labels).value, Float64Array.of(2, 0));
    assert.deepEqual(putValue(["5"], plain, labels).warnings, ["Warning: enum index value '5' may be too large."]);
  });

  it("takes numbers only with -n and labels only with -s", () => {
    assert.throws(() => putValue(["On"], { ...plain, enumAs: "number" }, labels), PutValueError);
    assert.deepEqual(putValue(["1"], { ...plain, enumAs: "number" }, labels).value, Float64Array.of(1));
    assert.throws(() => putValue(["1"], { ...plain, enumAs: "label" }, labels), /Enum string value '1' invalid/);
    assert.throws(() => putValue(["Bogus"], plain, labels), /Enum string value 'Bogus' invalid/);
  });
});
