/** 64-bit nanosecond times in JSON: written exactly, read exactly or refused. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringifyBig, toNanos } from "../../src/telemetry/big-json.js";

describe("big JSON", () => {
  it("writes bigints as bare integers, beyond 2^53 exactly", () => {
    assert.equal(
      stringifyBig({ t: 1_732_000_000_123_456_789n, n: -5n, s: "x", a: [1n] }),
      '{"t":1732000000123456789,"n":-5,"s":"x","a":[1]}',
    );
    assert.equal(stringifyBig({ s: "bigint:1", t: 2n }), '{"s":"bigint:1","t":2}', "strings stay strings");
  });

  it("reads strings of digits and safe integers, and refuses rounded or malformed ones", () => {
    assert.equal(toNanos("1732000000123456789", "t"), 1_732_000_000_123_456_789n);
    assert.equal(toNanos(1_000_000, "t"), 1_000_000n);
    assert.throws(() => toNanos(2 ** 60, "t"), /past 2\^53/);
    assert.throws(() => toNanos("12a", "t"), /int64/);
    assert.throws(() => toNanos("99999999999999999999", "t"), /int64/);
    assert.throws(() => toNanos(1.5, "t"), /integer/);
  });
});
