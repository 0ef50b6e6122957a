import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LocSource } from "../../../src/sources/loc/source.js";
import { RecordingSink } from "../../helpers/sink.js";

function setup(maxPvs = 100) {
  const loc = new LocSource({ maxPvs });
  const open = (path: string) => {
    const sink = new RecordingSink();
    const upstream = loc.open(loc.resolve(path), sink);
    return { sink, upstream, put: (v: unknown) => upstream.put?.(v, 1000) };
  };
  return { loc, open };
}

describe("LocSource", () => {
  it("types a PV by its initial value, as Phoebus does", () => {
    const { open } = setup();
    const cases: Array<[string, string, unknown]> = [
      ["a", "float64", 0],
      ["b(5)", "float64", 5],
      ['c("text")', "string", "text"],
      ["d(1, 2, 3)", "float64", Float64Array.from([1, 2, 3])],
      ['e("x", "y")', "string", ["x", "y"]],
      ['f<VEnum>(1, "Off", "On")', "enum", 1],
      ["g<VLong>(7)", "int32", 7],
      ["h<VDoubleArray>", "float64", new Float64Array(0)],
      ["i<VString>", "string", ""],
    ];
    for (const [path, dtype, value] of cases) {
      const { sink } = open(path);
      assert.equal(sink.metas[0]?.dtype, dtype, path);
      assert.deepEqual(sink.samples[0]?.value, value, path);
      assert.equal(sink.statuses[0]?.writeAccess, true);
    }
  });

  it("shares one PV between spellings; the initial value never overwrites an existing PV", async () => {
    const { loc, open } = setup();
    assert.equal(loc.resolve("x(5)"), "x");
    const first = open("x");
    await first.put(9);
    const second = open("x(5)");
    assert.equal(second.sink.samples[0]?.value, 9);
    assert.deepEqual(
      first.sink.samples.map((s) => s.value),
      [5, 9],
    );
  });

  it("sends writes to every open subscriber, and only when the value changes", async () => {
    const { open } = setup();
    const a = open("y(1)");
    const b = open("y");
    await a.put(2);
    await b.put(2);
    assert.deepEqual(
      a.sink.samples.map((s) => s.value),
      [1, 2],
    );
    assert.deepEqual(
      b.sink.samples.map((s) => s.value),
      [1, 2],
    );
  });

  it("coerces numeric strings and validates every type, rejecting bad writes with BG_ERR_PUT_INVALID_VALUE", async () => {
    const { open } = setup();
    const num = open("n(0)");
    await num.put("7.25");
    assert.equal(num.sink.samples.at(-1)?.value, 7.25);
    for (const bad of ["abc", null, [1], {}, true, "", Number.NaN]) {
      await assert.rejects(Promise.resolve(num.put(bad)), { code: "BG_ERR_PUT_INVALID_VALUE" }, String(bad));
    }
    const long = open("l<VLong>(0)");
    await long.put("-4");
    assert.equal(long.sink.samples.at(-1)?.value, -4);
    for (const bad of [1.5, 2 ** 31, "x"])
      await assert.rejects(Promise.resolve(long.put(bad)), { code: "BG_ERR_PUT_INVALID_VALUE" });

    const en = open('m<VEnum>(0, "Out", "In")');
    await en.put("In");
    assert.equal(en.sink.samples.at(-1)?.value, 1);
    await en.put(0);
    assert.equal(en.sink.samples.at(-1)?.value, 0);
    for (const bad of [2, -1, "Sideways", 0.5])
      await assert.rejects(Promise.resolve(en.put(bad)), { code: "BG_ERR_PUT_INVALID_VALUE" });

    const arr = open("w(1, 2)");
    await arr.put([3, "4", 5]);
    assert.deepEqual(arr.sink.samples.at(-1)?.value, Float64Array.from([3, 4, 5]));
    for (const bad of [3, [1, "x"], "1,2"])
      await assert.rejects(Promise.resolve(arr.put(bad)), { code: "BG_ERR_PUT_INVALID_VALUE" });

    const str = open('s("a")');
    await assert.rejects(Promise.resolve(str.put(5)), { code: "BG_ERR_PUT_INVALID_VALUE" });
    const strs = open('ss("a", "b")');
    await strs.put(["c"]);
    assert.deepEqual(strs.sink.samples.at(-1)?.value, ["c"]);
    await assert.rejects(Promise.resolve(strs.put([1])), { code: "BG_ERR_PUT_INVALID_VALUE" });
  });

  it("refuses a reference whose explicit type differs, bad declarations, and PVs past the limit", () => {
    const { loc } = setup(2);
    loc.resolve("p(1)");
    assert.throws(() => loc.resolve("p<VString>"), { code: "BG_ERR_TOPIC_INVALID" });
    assert.doesNotThrow(() => loc.resolve("p<VDouble>"));
    assert.throws(() => loc.resolve("q<VNope>"), { code: "BG_ERR_TOPIC_INVALID" });
    assert.throws(() => loc.resolve('q(1, "a")'), { code: "BG_ERR_TOPIC_INVALID" });
    assert.throws(() => loc.resolve("q<VEnum>(0)"), { code: "BG_ERR_TOPIC_INVALID" });
    assert.throws(() => loc.resolve('q<VEnum>(5, "a")'), { code: "BG_ERR_TOPIC_INVALID" });
    assert.throws(() => loc.resolve('q<VDouble>("a")'), { code: "BG_ERR_TOPIC_INVALID" });
    loc.resolve("r");
    assert.throws(() => loc.resolve("s"), { code: "BG_ERR_TOPIC_LIMIT" });
  });
});
