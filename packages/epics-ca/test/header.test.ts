import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { headerSize, padded, readHeader, writeHeader } from "../src/header.js";

describe("CA header", () => {
  it("pads payloads to 8 bytes", () => {
    assert.deepEqual([0, 1, 7, 8, 9, 16].map(padded), [0, 8, 8, 8, 16, 16]);
  });

  it("writes the standard 16-byte form big-endian", () => {
    const bytes = new Uint8Array(16);
    const n = writeHeader(new DataView(bytes.buffer), 0, {
      command: 15,
      payloadSize: 8,
      dataType: 6,
      dataCount: 1,
      parameter1: 0x01020304,
      parameter2: 0xfffffffe,
    });
    assert.equal(n, 16);
    assert.equal(Buffer.from(bytes).toString("hex"), "000f00080006000101020304fffffffe");
  });

  it("switches to the extended form at a payload or count of 0xffff, and reads it back", () => {
    assert.equal(headerSize(0xfffe, 0xfffe), 16);
    assert.equal(headerSize(0xffff, 1), 24);
    assert.equal(headerSize(8, 0xffff), 24);
    const bytes = new Uint8Array(24);
    const h = { command: 1, payloadSize: 800_000, dataType: 6, dataCount: 100_000, parameter1: 7, parameter2: 9 };
    assert.equal(writeHeader(new DataView(bytes.buffer), 0, h), 24);
    assert.equal(Buffer.from(bytes.subarray(0, 8)).toString("hex"), "0001ffff00060000");
    const read = readHeader(new DataView(bytes.buffer), 0);
    assert.deepEqual(read, { size: 24, header: h });
  });

  it("says how many bytes it still needs", () => {
    assert.deepEqual(readHeader(new DataView(new ArrayBuffer(10)), 0), { needed: 6 });
    const extended = new Uint8Array(20);
    extended.set([0, 1, 0xff, 0xff, 0, 6, 0, 0]);
    assert.deepEqual(readHeader(new DataView(extended.buffer), 0), { needed: 4 });
  });
});
