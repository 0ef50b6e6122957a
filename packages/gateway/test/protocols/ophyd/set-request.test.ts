/** The checks of an ophyd `set` as the real server makes them: coercion of numeric strings, timeout, limits. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Meta } from "../../../src/core/values.js";
import { pyFloat, pyStr } from "../../../src/protocols/ophyd/python-text.js";
import { checkSet } from "../../../src/protocols/ophyd/set-request.js";

const DOUBLE: Meta = { kind: "state", dtype: "float64", control: { low: -5, high: 5 } };
const LONG: Meta = { kind: "state", dtype: "int32", control: { low: -100, high: 100 } };
const UNLIMITED: Meta = { kind: "state", dtype: "float64", control: { low: 0, high: 0 } };
const ARRAY: Meta = { kind: "state", dtype: "float64", count: 10 };
const check = (value: unknown, meta: Meta = DOUBLE, timeout?: unknown) =>
  checkSet("PV", "X", { value, timeout }, meta, 300_000);

describe("ophyd set checks", () => {
  it("turns numeric strings into numbers as Python's float() and int() would, and leaves other strings alone", () => {
    assert.deepEqual(check("2.25"), { value: 2.25, timeoutMs: 1000 });
    assert.deepEqual(check("-4"), { value: -4, timeoutMs: 1000 });
    assert.deepEqual(check(".5"), { value: 0.5, timeoutMs: 1000 });
    assert.deepEqual(check("In"), { value: "In", timeoutMs: 1000 });
    assert.deepEqual(
      check("1e5"),
      { value: "1e5", timeoutMs: 1000 },
      "not digits and dots: a string for the IOC to convert",
    );
    assert.deepEqual(check("-"), { value: "-", timeoutMs: 1000 });
    assert.deepEqual(check("1.2.3"), { error: "Value must be a number. Could not set value of X to 1.2.3" });
    assert.deepEqual(check("4-"), { error: "Value must be a number. Could not set value of X to 4-" });
    assert.deepEqual(check(true), { value: 1, timeoutMs: 1000 }, "a bool is an int in Python");
  });

  it("takes arrays only for array PVs", () => {
    assert.deepEqual(check([1, 2], ARRAY), { value: [1, 2], timeoutMs: 1000 });
    assert.deepEqual(check([1, "a"], ARRAY), { error: "Value must be a number. Could not set value of X to [1, 'a']" });
    assert.deepEqual(check([], ARRAY), { error: "Value must be a number. Could not set value of X to []" });
  });

  it("checks the timeout, then the limits (only when they differ), printing them as Python does", () => {
    assert.deepEqual(check(1, DOUBLE, 2.5), { value: 1, timeoutMs: 2500 });
    assert.deepEqual(check(1, DOUBLE, 0), { error: "Timeout must be a number. Could not set value of X to 1" });
    assert.deepEqual(check(1, DOUBLE, 301), {
      error: "Timeout must be a number (at most 300 s). Could not set value of X to 1",
    });
    assert.deepEqual(check(6), { error: "Value 6 is outside of limits for PV X. Low limit: -5.0, High limit: 5.0" });
    assert.deepEqual(check(-101, LONG), {
      error: "Value -101 is outside of limits for PV X. Low limit: -100, High limit: 100",
    });
    assert.deepEqual(check(1e9, UNLIMITED), { value: 1e9, timeoutMs: 1000 });
  });

  it("writes values as Python's str() does", () => {
    assert.equal(pyStr(null), "None");
    assert.equal(pyStr({ a: [true, false, "x'y"] }), "{'a': [True, False, 'x\\'y']}");
    assert.equal(pyFloat(-100), "-100.0");
    assert.equal(pyFloat(0.25), "0.25");
  });
});
