import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { burstElement, decodeStreamMessage, encodeStreamMessage } from "../src/burst.js";
import { compressBlock, decompressBlock } from "../src/lz4.js";
import {
  create,
  fromBinary,
  type StreamData,
  StreamDataBurstSchema,
  StreamDataSchema,
  toBinary,
} from "../src/messages.js";

const T = 1_732_000_000_123_456_789n;

function streamData(): StreamData[] {
  return [
    create(StreamDataSchema, { data: { case: "sessionJson", value: '{"identity":"s1","state":"open"}' } }),
    create(StreamDataSchema, { data: { case: "timeRange", value: { startTime: T, endTime: T + 1_000_000_000n } } }),
    create(StreamDataSchema, {
      data: {
        case: "periodicData",
        value: { channelId: 9, startTimestamp: T, interval: 1_000_000n, samples: 200, buffer: new Uint8Array(1600) },
      },
    }),
    create(StreamDataSchema, { data: { case: "event", value: { eventDefinitionId: 3, timestamp: T } } }),
  ];
}

describe("StreamDataBurst by concatenation", () => {
  it("writes the tag 0A and the length as a varint before the StreamData bytes", () => {
    assert.equal(burstElement(Uint8Array.of(1, 2, 3)).toString("hex"), "0a03010203");
    assert.equal(burstElement(new Uint8Array(0)).toString("hex"), "0a00");
    assert.equal(burstElement(new Uint8Array(127)).subarray(0, 2).toString("hex"), "0a7f");
    assert.equal(burstElement(new Uint8Array(128)).subarray(0, 3).toString("hex"), "0a8001");
    assert.equal(burstElement(new Uint8Array(300)).subarray(0, 3).toString("hex"), "0aac02"); // 300 = 0x2c | 0x80, 0x02
    assert.equal(burstElement(new Uint8Array(70_000)).subarray(0, 4).toString("hex"), "0af0a204");
    assert.equal(burstElement(new Uint8Array(300)).length, 303);
  });

  it("gives the same bytes and message as a burst built with create", () => {
    const data = streamData();
    const elements = data.map((d) => burstElement(toBinary(StreamDataSchema, d)));
    const concatenated = new Uint8Array(Buffer.concat(elements));
    const burst = create(StreamDataBurstSchema, { data });
    assert.deepEqual(fromBinary(StreamDataBurstSchema, concatenated), burst);
    assert.deepEqual(concatenated, toBinary(StreamDataBurstSchema, burst));
  });

  it("shares elements between bursts: any subset in any order is a burst", () => {
    const data = streamData();
    const elements = data.map((d) => burstElement(toBinary(StreamDataSchema, d)));
    const [session, range, periodic, event] = elements as [Buffer, Buffer, Buffer, Buffer];
    const decoded = fromBinary(StreamDataBurstSchema, new Uint8Array(Buffer.concat([event, range, periodic, range])));
    assert.deepEqual(decoded.data, [data[3], data[1], data[2], data[1]]);
    assert.deepEqual(fromBinary(StreamDataBurstSchema, session).data, [data[0]]);
  });
});

describe("stream messages", () => {
  it("are the burst as one raw LZ4 block, and read back", () => {
    const data = streamData();
    const elements = data.map((d) => burstElement(toBinary(StreamDataSchema, d)));
    const message = encodeStreamMessage(elements);
    const burst = Buffer.concat(elements);
    assert.deepEqual(decompressBlock(message, burst.length), burst);
    assert.ok(message.length < burst.length);
    assert.deepEqual(decodeStreamMessage(message), create(StreamDataBurstSchema, { data }));
  });

  it("refuses a corrupt block, a burst past maxSize and bytes that are not a burst", () => {
    assert.throws(() => decodeStreamMessage(Buffer.from("30 61 62".replaceAll(" ", ""), "hex")), {
      name: "RtaFormatError",
      message: /literals run past the block's end/,
    });
    const message = encodeStreamMessage(streamData().map((d) => burstElement(toBinary(StreamDataSchema, d))));
    assert.throws(() => decodeStreamMessage(message, 100), {
      name: "RtaFormatError",
      message: /holds more than 100 bytes/,
    });
    // Field 1 with wire type 7, which does not exist.
    assert.throws(() => decodeStreamMessage(compressBlock(Uint8Array.of(0x0f, 0x00))), {
      name: "RtaFormatError",
      message: /^stream message is not a StreamDataBurst: /,
    });
  });
});
