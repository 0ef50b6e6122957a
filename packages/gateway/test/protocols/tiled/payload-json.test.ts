/**
 * Array bytes as the JSON of Tiled's JSON envelope. Expected float texts come from Python 3 and
 * numpy 2.4: `repr(float(x))` for doubles, `repr(float(np.format_float_scientific(np.float32(x),
 * unique=True)))` for float32 (numpy's shortest float32 digits, the same as orjson's Ryu).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BeamgateError } from "../../../src/errors.js";
import { type DataType, dtypeOf } from "../../../src/protocols/tiled/data-type.js";
import { arrayPayloadJson, formatFloat32, formatFloat64 } from "../../../src/protocols/tiled/payload-json.js";

type Setter = (view: DataView, at: number, value: never, le: boolean) => void;

const SETTERS: Record<string, Setter> = {
  i1: (v, at, x: number) => v.setInt8(at, x),
  u1: (v, at, x: number) => v.setUint8(at, x),
  b1: (v, at, x: number) => v.setUint8(at, x),
  i2: (v, at, x: number, le) => v.setInt16(at, x, le),
  u2: (v, at, x: number, le) => v.setUint16(at, x, le),
  i4: (v, at, x: number, le) => v.setInt32(at, x, le),
  u4: (v, at, x: number, le) => v.setUint32(at, x, le),
  i8: (v, at, x: bigint, le) => v.setBigInt64(at, x, le),
  u8: (v, at, x: bigint, le) => v.setBigUint64(at, x, le),
  f2: (v, at, x: number, le) => v.setUint16(at, x, le), // raw half bits
  f4: (v, at, x: number, le) => v.setFloat32(at, x, le),
  f8: (v, at, x: number, le) => v.setFloat64(at, x, le),
};

/** Raw C-order bytes of `values` in `dt`'s byte order. */
function pack(dt: DataType, values: readonly (number | bigint)[]): Uint8Array {
  const out = new Uint8Array(values.length * dt.itemsize);
  const view = new DataView(out.buffer);
  const set = SETTERS[`${dt.kind}${dt.itemsize}`] as Setter;
  values.forEach((x, i) => {
    set(view, i * dt.itemsize, x as never, dt.endianness !== "big");
  });
  return out;
}

const json = (dt: DataType, values: readonly (number | bigint)[], shape = [values.length], options = {}) =>
  arrayPayloadJson(pack(dt, values), dt, shape, options);

const invalid = (e: unknown) => e instanceof BeamgateError && e.code === "BG_ERR_PUT_INVALID_VALUE";

describe("integers", () => {
  it("int8 .. int32 and uint8 .. uint32 extremes", () => {
    assert.equal(json(dtypeOf("i", 1), [-128, -1, 0, 127]), "[-128,-1,0,127]");
    assert.equal(json(dtypeOf("u", 1), [0, 255]), "[0,255]");
    assert.equal(json(dtypeOf("i", 2), [-32768, 32767]), "[-32768,32767]");
    assert.equal(json(dtypeOf("u", 2), [0, 65535]), "[0,65535]");
    assert.equal(json(dtypeOf("i", 4), [-(2 ** 31), 2 ** 31 - 1]), "[-2147483648,2147483647]");
    assert.equal(json(dtypeOf("u", 4), [0, 2 ** 32 - 1]), "[0,4294967295]");
  });

  it("int64 and uint64 are exact, past 2^53 too", () => {
    assert.equal(
      json(dtypeOf("i", 8), [-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 0n]),
      "[-9223372036854775808,9223372036854775807,9007199254740993,-9007199254740993,0]",
    );
    assert.equal(
      json(dtypeOf("u", 8), [0n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n]),
      "[0,18446744073709551615,9223372036854775808,9007199254740993]",
    );
  });

  it("integers are written without a decimal point", () => {
    assert.equal(json(dtypeOf("i", 8), [1n, 2n, 3n]), "[1,2,3]");
  });
});

describe("floats", () => {
  const f64Cases: [number, string][] = [
    [3, "3.0"],
    [0.1, "0.1"],
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [9999999999999998, "9999999999999998.0"],
    [1e-4, "0.0001"],
    [1e-5, "1e-05"],
    [-2.5e-7, "-2.5e-07"],
    [1e22, "1e+22"],
    [1.5e300, "1.5e+300"],
    [5e-324, "5e-324"],
    [2.2250738585072014e-308, "2.2250738585072014e-308"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [-0, "-0.0"],
    [0, "0.0"],
    [2 ** 53 + 2, "9007199254740994.0"],
    [0.1 + 0.2, "0.30000000000000004"],
    [123.456, "123.456"],
    [1.2345678901234567e19, "1.2345678901234567e+19"],
  ];

  it("float64 as Python's repr writes it", () => {
    for (const [x, text] of f64Cases) assert.equal(formatFloat64(x), text, String(x));
    const dt = dtypeOf("f", 8);
    assert.equal(
      json(
        dt,
        f64Cases.map(([x]) => x),
      ),
      `[${f64Cases.map(([, t]) => t).join(",")}]`,
    );
  });

  it("the golden table payload's floats keep .0", () => {
    assert.equal(json(dtypeOf("f", 8), [3, 4]), "[3.0,4.0]");
  });

  const f32Cases: [number, string, string][] = [
    // value, shortest float32 digits (default, orjson), exact as a double (tolist + json.dumps)
    [0.1, "0.1", "0.10000000149011612"],
    [1 / 3, "0.33333334", "0.3333333432674408"],
    [0.3, "0.3", "0.30000001192092896"],
    [-1.1, "-1.1", "-1.100000023841858"],
    [2.5, "2.5", "2.5"],
    [450651.625, "450651.62", "450651.625"], // an exact tie: the even digit
    [2 ** -149, "1e-45", "1.401298464324817e-45"],
    [2 ** -126, "1.1754944e-38", "1.1754943508222875e-38"],
    [2 ** 127, "1.7014118e+38", "1.7014118346046923e+38"],
    [3.4028234663852886e38, "3.4028235e+38", "3.4028234663852886e+38"],
    [3.4e38, "3.4e+38", "3.3999999521443642e+38"],
    [16777216, "16777216.0", "16777216.0"],
    [16777218, "16777218.0", "16777218.0"],
    [33554436, "33554436.0", "33554436.0"],
    [1e10, "10000000000.0", "10000000000.0"],
    [123456789, "123456790.0", "123456792.0"],
    [7e-10, "7e-10", "7.000000024071085e-10"],
    [1e-5, "1e-05", "9.999999747378752e-06"],
    [1e16, "1e+16", "1.0000000272564224e+16"],
    [9.999999e15, "9999999000000000.0", "9999999198822400.0"],
  ];

  it("float32: shortest digits at float32 precision by default", () => {
    for (const [x, shortest] of f32Cases) assert.equal(formatFloat32(x), shortest, String(x));
    const dt = dtypeOf("f", 4);
    const values = f32Cases.map(([x]) => x);
    assert.equal(json(dt, values), `[${f32Cases.map(([, s]) => s).join(",")}]`);
  });

  it("float32 with narrowFloats: float64 is the exact value as a double", () => {
    const dt = dtypeOf("f", 4);
    const values = f32Cases.map(([x]) => x);
    assert.equal(
      json(dt, values, [values.length], { narrowFloats: "float64" }),
      `[${f32Cases.map(([, , w]) => w).join(",")}]`,
    );
  });

  it("float16: read exactly, written as orjson does (its float32 digits)", () => {
    const dt = dtypeOf("f", 2);
    const halves = [0x3c00, 0x3555, 0x0001, 0x7bff, 0x2e66, 0xc000, 0x8000];
    assert.equal(json(dt, halves), "[1.0,0.33325195,5.9604645e-08,65504.0,0.099975586,-2.0,-0.0]");
    assert.equal(
      json(dt, halves, [halves.length], { narrowFloats: "float64" }),
      "[1.0,0.333251953125,5.960464477539063e-08,65504.0,0.0999755859375,-2.0,-0.0]",
    );
  });

  it("NaN and infinities: null by default (orjson), Python's tokens on request", () => {
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1];
    assert.equal(json(dtypeOf("f", 8), specials), "[null,null,null,1.0]");
    assert.equal(json(dtypeOf("f", 4), specials), "[null,null,null,1.0]");
    assert.equal(json(dtypeOf("f", 2), [0x7e00, 0x7c00, 0xfc00]), "[null,null,null]");
    const python = { nonFinite: "python" } as const;
    assert.equal(json(dtypeOf("f", 8), specials, [4], python), "[NaN,Infinity,-Infinity,1.0]");
    assert.equal(json(dtypeOf("f", 4), specials, [4], python), "[NaN,Infinity,-Infinity,1.0]");
    assert.equal(json(dtypeOf("f", 2), [0x7e00, 0x7c00, 0xfc00], [3], python), "[NaN,Infinity,-Infinity]");
  });

  it("random float32 and float64 values read back to themselves", () => {
    const bits = new DataView(new ArrayBuffer(8));
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let i = 0; i < 20000; i++) {
      bits.setUint32(0, next());
      const f = bits.getFloat32(0);
      if (Number.isFinite(f)) assert.equal(Math.fround(Number(formatFloat32(f))), f, String(f));
      bits.setUint32(4, next());
      const d = bits.getFloat64(0);
      if (Number.isFinite(d)) assert.equal(Number(formatFloat64(d)), d, String(d));
    }
  });
});

describe("byte order, booleans, shapes", () => {
  it("big-endian input", () => {
    assert.equal(json(dtypeOf("i", 4, { endianness: "big" }), [1, -2]), "[1,-2]");
    assert.deepEqual([...pack(dtypeOf("i", 4, { endianness: "big" }), [1])], [0, 0, 0, 1]);
    assert.equal(json(dtypeOf("u", 8, { endianness: "big" }), [2n ** 64n - 1n, 258n]), "[18446744073709551615,258]");
    assert.equal(json(dtypeOf("f", 8, { endianness: "big" }), [1.5, -0.1]), "[1.5,-0.1]");
    assert.equal(json(dtypeOf("f", 4, { endianness: "big" }), [0.1]), "[0.1]");
    assert.equal(json(dtypeOf("f", 2, { endianness: "big" }), [0x3c00]), "[1.0]");
  });

  it("booleans: any non-zero byte is true", () => {
    assert.equal(json(dtypeOf("b", 1), [0, 1, 2, 255]), "[false,true,true,true]");
  });

  it("2-D and 3-D shapes in C order", () => {
    const i2 = dtypeOf("i", 2);
    assert.equal(json(i2, [0, 1, 2, 3, 4, 5], [2, 3]), "[[0,1,2],[3,4,5]]");
    assert.equal(json(i2, [0, 1, 2, 3, 4, 5], [3, 2]), "[[0,1],[2,3],[4,5]]");
    assert.equal(json(i2, [0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2]), "[[[0,1],[2,3]],[[4,5],[6,7]]]");
    assert.equal(json(i2, [7], [1, 1, 1, 1]), "[[[[7]]]]");
  });

  it("zero-size arrays and 0-d arrays", () => {
    const f8 = dtypeOf("f", 8);
    assert.equal(json(f8, [], [0]), "[]");
    assert.equal(json(f8, [], [2, 0]), "[[],[]]");
    assert.equal(json(f8, [], [0, 3]), "[]");
    assert.equal(json(f8, [], [2, 0, 3]), "[[],[]]");
    assert.equal(json(f8, [2.5], []), "2.5");
  });

  it("a view into a larger buffer is read at its own offset", () => {
    const whole = pack(dtypeOf("i", 8), [9n, 1n, 2n, 9n]);
    assert.equal(arrayPayloadJson(whole.subarray(8, 24), dtypeOf("i", 8), [2]), "[1,2]");
  });
});

describe("refusals", () => {
  it("bytes that do not fill the shape exactly", () => {
    const i8 = dtypeOf("i", 8);
    assert.throws(() => arrayPayloadJson(new Uint8Array(23), i8, [3]), invalid);
    assert.throws(() => arrayPayloadJson(new Uint8Array(25), i8, [3]), invalid);
    assert.throws(() => arrayPayloadJson(new Uint8Array(24), i8, [2, 2]), invalid);
    assert.throws(() => arrayPayloadJson(new Uint8Array(8), i8, [0]), invalid);
    assert.throws(() => arrayPayloadJson(new Uint8Array(0), i8, []), invalid);
  });

  it("shapes that are not lists of non-negative integers", () => {
    const u1 = dtypeOf("u", 1);
    assert.throws(() => arrayPayloadJson(new Uint8Array(0), u1, [-1]), invalid);
    assert.throws(() => arrayPayloadJson(new Uint8Array(1), u1, [0.5]), invalid);
    assert.throws(() => arrayPayloadJson(new Uint8Array(0), u1, [2 ** 53, 2 ** 53]), invalid);
  });

  it("data types without a JSON form here", () => {
    for (const dt of [
      dtypeOf("c", 16),
      dtypeOf("f", 16),
      dtypeOf("S", 4),
      dtypeOf("U", 8),
      dtypeOf("V", 2),
      dtypeOf("M", 8, { dtUnits: "[ns]" }),
      dtypeOf("m", 8),
    ]) {
      assert.throws(() => arrayPayloadJson(new Uint8Array(dt.itemsize), dt, [1]), invalid, `${dt.kind}${dt.itemsize}`);
    }
  });
});
