import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChunkedWriter, decodeChunked } from "../src/chunked.js";
import { COMPRESSION } from "../src/constants.js";
import { compressBlock } from "../src/lz4.js";
import { create, PeriodicDataListSchema, toBinary } from "../src/messages.js";

const T = 1_732_000_000_123_456_789n;
const S = 1_000_000_000n; // 1 s in ns

const hex = (...parts: string[]) => Buffer.from(parts.join("").replaceAll(" ", ""), "hex");

/** EventsList { events: [{ event_definition_id: id }] }: field 1, 2 bytes, field 1 varint. */
const eventsList = (id: number) => hex(`0a 02 08 ${id.toString(16).padStart(2, "0")}`);

/** A PeriodicDataList that compresses well: 500 u8 samples of a ramp. */
const periodicList = Buffer.from(
  toBinary(
    PeriodicDataListSchema,
    create(PeriodicDataListSchema, {
      periodicData: [
        { channelId: 1, startTimestamp: T + S, interval: 1_000_000n, samples: 500, buffer: new Uint8Array(500) },
        { channelId: 2, startTimestamp: T + S, interval: 1_000_000n, samples: 500, buffer: new Uint8Array(500) },
      ],
    }),
  ),
);

const CHUNKS = [
  { startTime: T, duration: S, channelIds: [1, 2], payload: eventsList(7), compress: false },
  { startTime: T + S, duration: S, channelIds: [1, 2], payload: periodicList, compress: true },
  // Earlier and shorter than the one before: negative deltas, and compression back to none.
  { startTime: T + S / 2n, duration: S / 4n, channelIds: [3], payload: eventsList(8), compress: false },
];

function writeAll(): Buffer[] {
  const writer = new ChunkedWriter();
  return CHUNKS.map((chunk) => writer.encode(chunk));
}

describe("chunked REST framing", () => {
  it("frames the first chunk against zero (bytes by hand)", () => {
    const expected = hex(
      "18 00 00 00", // header length 24, int32 LE
      "08 aa b4 ae e5 da b4 a6 89 30", // chunk_start_time_delta = T - 0: sint64, zigzag 2T
      "10 80 a8 d6 b9 07", // chunk_duration_delta = 1 s: zigzag 2,000,000,000
      "1a 02 01 02", // channel_ids: field 3 packed
      // compression_delta = 0 - 0: not written
      "28 04", // unpacked_length = 4
      "30 04", // packed_length = 4
      "0a 02 08 07", // the payload, as given
    );
    assert.deepEqual(writeAll()[0], expected);
  });

  it("frames the second chunk as deltas against the first, its payload an LZ4 block", () => {
    const packed = compressBlock(periodicList);
    const unpacked = periodicList.length;
    const varint = (n: number) => (n < 128 ? [n] : [(n & 0x7f) | 0x80, n >> 7]);
    const header = Buffer.from([
      ...[0x08, 0x80, 0xa8, 0xd6, 0xb9, 0x07], // chunk_start_time_delta = +1 s
      // chunk_duration_delta = 0: not written
      ...[0x1a, 0x02, 0x01, 0x02], // channel_ids
      ...[0x20, 0x01], // compression_delta = LZ4 (1) - none (0)
      ...[0x28, ...varint(unpacked)], // unpacked_length
      ...[0x30, ...varint(packed.length)], // packed_length
    ]);
    const length = Buffer.alloc(4);
    length.writeInt32LE(header.length);
    assert.deepEqual(writeAll()[1], Buffer.concat([length, header, packed]));
    assert.ok(packed.length < unpacked / 4);
  });

  it("frames the third chunk with negative deltas (bytes by hand)", () => {
    const expected = hex(
      "1e 00 00 00", // header length 30
      "08 ff 93 eb dc 03", // chunk_start_time_delta = -0.5 s: zigzag 999,999,999
      "10 ff dd a0 cb 05", // chunk_duration_delta = 0.25 s - 1 s = -0.75 s: zigzag 1,499,999,999
      "1a 01 03", // channel_ids
      "20 ff ff ff ff ff ff ff ff ff 01", // compression_delta = none (0) - LZ4 (1) = -1: int32, ten bytes
      "28 04", // unpacked_length = 4
      "30 04", // packed_length = 4
      "0a 02 08 08", // the payload
    );
    assert.deepEqual(writeAll()[2], expected);
  });

  it("reads several chunks back, adding up the deltas and decompressing", () => {
    const decoded = decodeChunked(Buffer.concat(writeAll()));
    assert.deepEqual(
      decoded.map((chunk) => ({ ...chunk, payload: Buffer.from(chunk.payload) })),
      CHUNKS.map(({ compress, ...chunk }) => ({
        ...chunk,
        compression: compress ? COMPRESSION.LZ4 : COMPRESSION.NONE,
      })),
    );
  });

  it("reads an empty body as no chunks", () => {
    assert.deepEqual(decodeChunked(new Uint8Array(0)), []);
  });

  it("reads a body at an offset in a larger buffer", () => {
    const body = Buffer.concat([Buffer.from([9, 9, 9]), ...writeAll()]);
    assert.equal(decodeChunked(body.subarray(3)).length, 3);
  });

  it("compresses when asked even if the block is larger (the flag is obeyed)", () => {
    const payload = Buffer.from([0x0a, 0x03, 0x08, 0x01, 0x10]);
    const framed = new ChunkedWriter().encode({ startTime: T, duration: S, channelIds: [1], payload, compress: true });
    const [chunk] = decodeChunked(framed);
    assert.equal(chunk?.compression, COMPRESSION.LZ4);
    assert.deepEqual(Buffer.from(chunk?.payload ?? []), payload);
    assert.ok(compressBlock(payload).length > payload.length);
  });

  it("says truncated wherever the body is cut inside a chunk, and reads whole chunks before a cut between them", () => {
    const framed = writeAll();
    const body = Buffer.concat(framed);
    const boundaries = new Map<number, number>();
    let end = 0;
    framed.forEach((chunk, i) => {
      end += chunk.length;
      boundaries.set(end, i + 1);
    });
    for (let cut = 1; cut < body.length; cut++) {
      const whole = boundaries.get(cut);
      if (whole !== undefined) assert.equal(decodeChunked(body.subarray(0, cut)).length, whole);
      else assert.throws(() => decodeChunked(body.subarray(0, cut)), { name: "RtaFormatError", message: /truncated/ });
    }
  });

  it("names what is cut", () => {
    const first = writeAll()[0] as Buffer;
    assert.throws(() => decodeChunked(first.subarray(0, 2)), {
      message: "chunked data truncated: a header length at byte 0 needs 4 bytes, 2 left",
    });
    assert.throws(() => decodeChunked(first.subarray(0, 10)), {
      message: "chunked data truncated: a chunk header at byte 4 needs 24 bytes, 6 left",
    });
    assert.throws(() => decodeChunked(first.subarray(0, 30)), {
      message: "chunked data truncated: a chunk payload at byte 28 needs 4 bytes, 2 left",
    });
  });

  it("refuses negative lengths, bad headers, unknown compression, corrupt blocks and blocks past maxSize", () => {
    const cases: [string, Buffer, RegExp][] = [
      ["negative header length", hex("ff ff ff ff"), /negative chunk header length -1 at byte 0/],
      ["header not protobuf", hex("02 00 00 00", "0f 00"), /bad chunk header at byte 4: /],
      ["negative packed_length", hex("0b 00 00 00", "30 ff ff ff ff ff ff ff ff ff 01"), /negative packed_length -1/],
      ["unknown compression", hex("04 00 00 00", "20 02 30 00"), /unknown chunk compression 2 at byte 8/],
      [
        "corrupt LZ4 payload",
        hex("06 00 00 00", "20 01 28 0a 30 03", "ff ff ff"),
        /corrupt LZ4 block \(3 bytes, 10 expected\)/,
      ],
    ];
    for (const [name, body, message] of cases) {
      assert.throws(() => decodeChunked(body), { name: "RtaFormatError", message }, name);
    }
    const body = Buffer.concat(writeAll());
    assert.equal(decodeChunked(body, periodicList.length).length, 3);
    assert.throws(() => decodeChunked(body, periodicList.length - 1), /past the limit/);
  });
});
