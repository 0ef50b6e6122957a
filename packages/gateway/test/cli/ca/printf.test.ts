/** C's %e, %f and %g as glibc prints them, for the values caget prints. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatFloat } from "../../../src/cli/ca/printf.js";

describe("formatFloat", () => {
  it("prints %g with 6 significant digits by default, trailing zeros removed", () => {
    const cases: Array<[number, string]> = [
      [1.5, "1.5"],
      [0, "0"],
      [-0, "-0"],
      [-2.25, "-2.25"],
      [1 / 3, "0.333333"],
      [100000, "100000"],
      [1e6, "1e+06"],
      [123456789, "1.23457e+08"],
      [0.0001, "0.0001"],
      [0.00001, "1e-05"],
      [9.9999996, "10"],
      [999999.5, "1e+06"],
      [1e-300, "1e-300"],
      [Math.fround(0.1), "0.1"],
      [Number.NaN, "nan"],
      [Number.POSITIVE_INFINITY, "inf"],
      [Number.NEGATIVE_INFINITY, "-inf"],
    ];
    for (const [x, expected] of cases) assert.equal(formatFloat(x), expected, String(x));
  });

  it("prints %e and %f with the digits asked for, and %g with as many significant ones", () => {
    assert.equal(formatFloat(1.5, { conversion: "e", precision: 3 }), "1.500e+00");
    assert.equal(formatFloat(12345, { conversion: "e", precision: 0 }), "1e+04");
    assert.equal(formatFloat(-1e-300, { conversion: "e", precision: 2 }), "-1.00e-300");
    assert.equal(formatFloat(12.3456, { conversion: "f", precision: 2 }), "12.35");
    assert.equal(formatFloat(2, { conversion: "f", precision: 0 }), "2");
    assert.equal(formatFloat(1e21, { conversion: "f", precision: 1 }), "1000000000000000000000.0");
    assert.equal(formatFloat(1 / 3, { conversion: "g", precision: 10 }), "0.3333333333");
    assert.equal(formatFloat(123, { conversion: "g", precision: 0 }), "1e+02");
  });
});
