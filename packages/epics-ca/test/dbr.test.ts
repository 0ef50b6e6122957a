import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DBR_BASE, DBR_CLASS, type DbrBase } from "../src/constants.js";
import { type DbrData, dbrLayout, dbrSize, dbrType, decodeDbr, encodeDbr } from "../src/dbr.js";

/** sizeof(struct dbr_*) in EPICS base's db_access.h, for one value (dbr_size[]). */
const EPICS_DBR_SIZE: Record<number, number> = {
  0: 40,
  1: 2,
  2: 4,
  3: 2,
  4: 1,
  5: 4,
  6: 8,
  7: 44,
  8: 6,
  9: 8,
  10: 6,
  11: 6,
  12: 8,
  13: 16,
  14: 52,
  15: 16,
  16: 16,
  17: 16,
  18: 16,
  19: 16,
  20: 24,
  21: 44,
  22: 26,
  23: 44,
  24: 424,
  25: 20,
  26: 40,
  27: 72,
  28: 44,
  29: 30,
  30: 52,
  31: 424,
  32: 22,
  33: 48,
  34: 88,
};

function sample(base: DbrBase, count: number): DbrData["value"] {
  const n = Array.from({ length: count }, (_, i) => i + 1);
  switch (base) {
    case "STRING":
      return n.map((i) => `value ${i}`);
    case "SHORT":
      return Int16Array.from(n, (i) => -i);
    case "FLOAT":
      return Float32Array.from(n, (i) => i + 0.5);
    case "ENUM":
      return Uint16Array.from(n);
    case "CHAR":
      return Uint8Array.from(n);
    case "LONG":
      return Int32Array.from(n, (i) => -100_000 * i);
    case "DOUBLE":
      return Float64Array.from(n, (i) => i / 3);
  }
}

describe("DBR codec", () => {
  it("lays out every type with the sizes of db_access.h", () => {
    for (let type = 0; type <= 34; type++) {
      const layout = dbrLayout(type);
      assert.ok(layout, `type ${type}`);
      assert.equal(dbrSize(layout, 1), EPICS_DBR_SIZE[type], `size of type ${type} (${layout.cls}_${layout.base})`);
    }
    assert.equal(dbrLayout(35), undefined);
  });

  it("round-trips every class and base type, scalars and arrays", () => {
    for (const cls of Object.keys(DBR_CLASS) as (keyof typeof DBR_CLASS)[]) {
      for (const base of DBR_BASE) {
        const layout = dbrLayout(dbrType(cls, base));
        assert.ok(layout);
        for (const count of [1, 3, 5000]) {
          const data: DbrData = {
            value: sample(base, count),
            status: 3,
            severity: 2,
            stamp: { secondsPastEpoch: 1_000_000_000, nanoseconds: 123_456_789 },
            units: "mm",
            precision: 4,
            limits: {
              upperDisplay: 10,
              lowerDisplay: 1,
              upperAlarm: 9,
              upperWarning: 8,
              lowerWarning: 3,
              lowerAlarm: 2,
              upperControl: 7,
              lowerControl: 4,
            },
            enumStrings: ["Off", "On", "Fault"],
          };
          const bytes = encodeDbr(layout, data);
          assert.equal(bytes.length % 8, 0, "padded to 8");
          const back = decodeDbr(layout, count, bytes);
          assert.deepEqual(back.value, data.value, `${cls}_${base} x${count}`);
          if (cls !== "PLAIN") assert.deepEqual([back.status, back.severity], [3, 2]);
          if (cls === "TIME") assert.deepEqual(back.stamp, data.stamp);
          if ((cls === "GR" || cls === "CTRL") && base !== "STRING" && base !== "ENUM") assert.equal(back.units, "mm");
          if ((cls === "GR" || cls === "CTRL") && (base === "FLOAT" || base === "DOUBLE"))
            assert.equal(back.precision, 4);
          if ((cls === "GR" || cls === "CTRL") && base === "ENUM")
            assert.deepEqual(back.enumStrings, ["Off", "On", "Fault"]);
          if (cls === "CTRL" && base === "LONG") assert.deepEqual(back.limits, data.limits);
          if (cls === "GR" && base === "DOUBLE") assert.equal(back.limits?.upperControl, undefined);
        }
      }
    }
  });

  it("encodes DBR_TIME_DOUBLE byte for byte", () => {
    const layout = dbrLayout(20);
    assert.ok(layout);
    const bytes = encodeDbr(layout, {
      value: Float64Array.of(1.5),
      status: 4,
      severity: 1,
      stamp: { secondsPastEpoch: 1, nanoseconds: 2 },
    });
    assert.equal(Buffer.from(bytes).toString("hex"), "000400010000000100000002000000003ff8000000000000");
  });

  it("encodes DBR_CTRL_ENUM labels in 26-byte fields after no_str", () => {
    const layout = dbrLayout(31);
    assert.ok(layout);
    const bytes = encodeDbr(layout, { value: Uint16Array.of(1), enumStrings: ["Out", "In"] });
    assert.equal(bytes.length, 424);
    assert.equal(Buffer.from(bytes.subarray(4, 6)).toString("hex"), "0002");
    assert.equal(Buffer.from(bytes.subarray(6, 10)).toString(), "Out\0");
    assert.equal(Buffer.from(bytes.subarray(32, 35)).toString(), "In\0");
    assert.equal(Buffer.from(bytes.subarray(422, 424)).toString("hex"), "0001");
  });

  it("cuts strings to 39 bytes plus NUL without splitting a character", () => {
    const layout = dbrLayout(0);
    assert.ok(layout);
    const long = `${"x".repeat(38)}é and more`;
    const back = decodeDbr(layout, 1, encodeDbr(layout, { value: [long] }));
    assert.deepEqual(back.value, ["x".repeat(38)]);
  });

  it("refuses a payload shorter than its count says", () => {
    const layout = dbrLayout(6);
    assert.ok(layout);
    assert.throws(() => decodeDbr(layout, 10, new Uint8Array(16)), RangeError);
  });
});
