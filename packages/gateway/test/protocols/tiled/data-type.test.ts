/** Tiled's DataType: the client-side schema, the checked constructor, numpy spellings. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  byteLengthOf,
  type DataType,
  dataTypeFromNumpy,
  dataTypeSchema,
  dtypeOf,
  elementCount,
  jsonDecodable,
  numpyTypestr,
} from "../../../src/protocols/tiled/data-type.js";

const dt = (
  endianness: DataType["endianness"],
  kind: DataType["kind"],
  itemsize: number,
  dt_units: string | null = null,
) => ({
  endianness,
  kind,
  itemsize,
  dt_units,
});

describe("dataTypeSchema", () => {
  it("accepts what Tiled's client sends and fills a missing dt_units with null", () => {
    assert.deepEqual(dataTypeSchema.parse(dt("little", "f", 8)), dt("little", "f", 8));
    assert.deepEqual(dataTypeSchema.parse({ endianness: "big", kind: "i", itemsize: 4 }), dt("big", "i", 4));
    assert.deepEqual(dataTypeSchema.parse(dt("little", "M", 8, "[ns]")), dt("little", "M", 8, "[ns]"));
    assert.deepEqual(dataTypeSchema.parse(dt("little", "m", 8, "[10s]")), dt("little", "m", 8, "[10s]"));
    assert.deepEqual(dataTypeSchema.parse(dt("little", "U", 40)), dt("little", "U", 40));
    assert.deepEqual(dataTypeSchema.parse(dt("not_applicable", "S", 5)), dt("not_applicable", "S", 5));
  });

  it("gives keys in Tiled's order and drops unknown ones", () => {
    const parsed = dataTypeSchema.parse({ dt_units: null, itemsize: 2, kind: "u", endianness: "little", extra: 1 });
    assert.deepEqual(Object.keys(parsed), ["endianness", "kind", "itemsize", "dt_units"]);
  });

  it("refuses what numpy cannot build", () => {
    for (const bad of [
      dt("little", "i", 3),
      dt("little", "b", 2),
      dt("little", "f", 1),
      dt("little", "c", 4),
      dt("little", "U", 6),
      dt("little", "M", 4),
      dt("little", "f", 8, "[ns]"),
      dt("little", "M", 8, "ns"),
      { ...dt("little", "f", 8), itemsize: 8.5 },
      { ...dt("little", "f", 8), itemsize: -8 },
      { ...dt("little", "f", 8), kind: "t" },
      { ...dt("little", "f", 8), kind: "O" },
      { ...dt("little", "f", 8), endianness: "native" },
      { kind: "f", itemsize: 8 },
      null,
    ]) {
      assert.equal(dataTypeSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});

describe("dtypeOf", () => {
  it("defaults to little endian, and not_applicable where numpy writes |", () => {
    assert.deepEqual(dtypeOf("f", 8), dt("little", "f", 8));
    assert.deepEqual(dtypeOf("i", 4, { endianness: "big" }), dt("big", "i", 4));
    assert.deepEqual(dtypeOf("u", 1, { endianness: "big" }), dt("not_applicable", "u", 1));
    assert.deepEqual(dtypeOf("b", 1), dt("not_applicable", "b", 1));
    assert.deepEqual(dtypeOf("S", 10), dt("not_applicable", "S", 10));
    assert.deepEqual(dtypeOf("V", 16), dt("not_applicable", "V", 16));
    assert.deepEqual(dtypeOf("M", 8, { dtUnits: "[us]" }), dt("little", "M", 8, "[us]"));
  });

  it("throws a RangeError for impossible combinations", () => {
    assert.throws(() => dtypeOf("i", 3), RangeError);
    assert.throws(() => dtypeOf("f", 8, { dtUnits: "[ns]" }), RangeError);
    assert.throws(() => dtypeOf("U", 5), RangeError);
  });
});

describe("numpy spellings", () => {
  it("type names", () => {
    assert.deepEqual(dataTypeFromNumpy("int64"), dt("little", "i", 8));
    assert.deepEqual(dataTypeFromNumpy("float32"), dt("little", "f", 4));
    assert.deepEqual(dataTypeFromNumpy("uint8"), dt("not_applicable", "u", 1));
    assert.deepEqual(dataTypeFromNumpy("bool"), dt("not_applicable", "b", 1));
    assert.deepEqual(dataTypeFromNumpy("complex128"), dt("little", "c", 16));
  });

  it("typestrs", () => {
    assert.deepEqual(dataTypeFromNumpy("<f8"), dt("little", "f", 8));
    assert.deepEqual(dataTypeFromNumpy(">i4"), dt("big", "i", 4));
    assert.deepEqual(dataTypeFromNumpy("=u2"), dt("little", "u", 2));
    assert.deepEqual(dataTypeFromNumpy("f4"), dt("little", "f", 4));
    assert.deepEqual(dataTypeFromNumpy("|u1"), dt("not_applicable", "u", 1));
    assert.deepEqual(dataTypeFromNumpy(">b1"), dt("not_applicable", "b", 1));
    assert.deepEqual(dataTypeFromNumpy("|S5"), dt("not_applicable", "S", 5));
    assert.deepEqual(dataTypeFromNumpy("<U5"), dt("little", "U", 20));
    assert.deepEqual(dataTypeFromNumpy("<M8[ns]"), dt("little", "M", 8, "[ns]"));
    assert.deepEqual(dataTypeFromNumpy(">m8[10s]"), dt("big", "m", 8, "[10s]"));
  });

  it("refuses numpy's one-letter codes and anything else", () => {
    for (const bad of ["b", "d", "<f3", "<x8", "float128x", "", "<f8[ns]", "int 64"]) {
      assert.throws(() => dataTypeFromNumpy(bad), RangeError, bad);
    }
  });

  it("typestr round trip", () => {
    for (const s of ["<f8", ">i4", "|u1", "|b1", "|S5", "<U5", ">U3", "<M8[ns]", "<c16", "|V16"]) {
      assert.equal(numpyTypestr(dataTypeFromNumpy(s)), s);
    }
  });
});

describe("sizes", () => {
  it("element counts and byte lengths", () => {
    assert.equal(elementCount([]), 1);
    assert.equal(elementCount([3, 0, 2]), 0);
    assert.equal(elementCount([3, 7, 13]), 273);
    assert.equal(byteLengthOf(dtypeOf("f", 8), [3, 7, 13]), 2184);
    assert.throws(() => elementCount([-1]), RangeError);
    assert.throws(() => elementCount([1.5]), RangeError);
    assert.throws(() => byteLengthOf(dtypeOf("f", 8), [2 ** 52, 2]), RangeError);
  });

  it("jsonDecodable covers b1, i1-8, u1-8, f2/f4/f8", () => {
    const yes = ["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", ">f8"];
    const no = ["<f16", "<c8", "<c16", "|S3", "<U1", "|V4", "<M8[s]", "<m8[s]"];
    for (const s of yes) assert.equal(jsonDecodable(dataTypeFromNumpy(s)), true, s);
    for (const s of no) assert.equal(jsonDecodable(dataTypeFromNumpy(s)), false, s);
  });
});
