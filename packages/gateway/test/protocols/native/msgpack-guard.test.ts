import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encode } from "@msgpack/msgpack";
import { MAX_MSGPACK_DEPTH, msgpackProblem } from "../../../src/protocols/native/msgpack-guard.js";

describe("msgpack guard", () => {
  it("accepts every kind of value the encoder produces", () => {
    const values = [
      { type: "subscribe", id: "a", topic: "sim://sine", start: 5, options: { conflate: false } },
      [1, -1, 300, -300, 70_000, -70_000, 2 ** 40, -(2 ** 40), 1.5, null, true, false],
      "x".repeat(40),
      "y".repeat(300),
      "z".repeat(70_000),
      new Uint8Array(10),
      new Uint8Array(300),
      new Uint8Array(70_000),
      Array.from({ length: 20 }, (_, i) => i),
      Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
      Array.from({ length: 70_000 }, () => 0),
      new Date(0),
    ];
    for (const v of values) assert.equal(msgpackProblem(encode(v)), undefined, JSON.stringify(v).slice(0, 60));
  });

  it("refuses containers that claim more elements than the frame holds (allocation bombs)", () => {
    const bomb = new Uint8Array(100);
    for (let i = 0; i < 20; i++) bomb.set([0xdd, 0x00, 0x80, 0x00, 0x00], i * 5);
    assert.match(msgpackProblem(bomb) ?? "", /claims more elements/);
    assert.match(msgpackProblem(Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff)) ?? "", /claims more elements/);
  });

  it("refuses deep nesting, truncation, trailing bytes and the never-used type byte", () => {
    const deep = new Uint8Array(MAX_MSGPACK_DEPTH + 1).fill(0x91);
    const nested = new Uint8Array(deep.length + 1);
    nested.set(deep);
    assert.match(msgpackProblem(nested) ?? "", /nested deeper/);
    assert.equal(
      msgpackProblem(new Uint8Array(MAX_MSGPACK_DEPTH).fill(0x91).map((b, i, a) => (i === a.length - 1 ? 0x01 : b))),
      undefined,
    );
    assert.equal(msgpackProblem(Uint8Array.of(0xa5, 0x61)), "truncated");
    assert.match(msgpackProblem(Uint8Array.of(0x92, 0x01)) ?? "", /claims more elements/);
    assert.equal(msgpackProblem(Uint8Array.of(0x92, 0x01, 0xcd, 0x01)), "truncated");
    assert.equal(msgpackProblem(Uint8Array.of(0x01, 0x02)), "trailing bytes after the message");
    assert.match(msgpackProblem(Uint8Array.of(0xc1)) ?? "", /invalid type byte 0xc1/);
  });
});
