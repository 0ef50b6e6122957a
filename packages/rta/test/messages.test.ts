/**
 * Every RTA message against golden bytes written by hand from the protobuf wire rules, not by the
 * library under test: tag = (field << 3) | wire type, with wire types 0 varint, 1 fixed64,
 * 2 length-delimited. Both directions: toBinary gives the golden bytes, and fromBinary of them
 * gives the message back. Times are T = 1_732_000_000_123_456_789 ns (2024-11-19T07:06:40.123456789Z),
 * past 2^53, so a double anywhere in the path would lose its last digits.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import {
  ChunkTransferHeaderSchema,
  create,
  EventSchema,
  EventsListSchema,
  fromBinary,
  PeriodicDataListSchema,
  PeriodicDataSchema,
  RowDataListSchema,
  RowDataSchema,
  StreamDataBurstSchema,
  StreamDataSchema,
  StreamRequestSchema,
  StreamSubscriptionSchema,
  StreamTimeRangeSchema,
  TimestampedDataListSchema,
  TimestampedDataSchema,
  toBinary,
} from "../src/messages.js";

const T = 1_732_000_000_123_456_789n;
/** T as sfixed64: 0x18094cd2d655cd15, little-endian. */
const T_LE = "15 cd 55 d6 d2 4c 09 18";
/** T + 1 s = 0x18094cd311f09715. */
const T_PLUS_1S_LE = "15 97 f0 11 d3 4c 09 18";
/** 1_000_000 (1 ms in ns) = 0xf4240 as a varint: 7-bit groups 0x40, 0x04, 0x3d, low first. */
const MS_VARINT = "c0 84 3d";
/** -1 as an int32 or int64 varint: sign-extended to 64 bits, ten bytes. */
const MINUS_ONE_VARINT = "ff ff ff ff ff ff ff ff ff 01";

/** Bytes from hex, spaces ignored. */
function hex(...parts: string[]): Uint8Array {
  return new Uint8Array(Buffer.from(parts.join("").replaceAll(" ", ""), "hex"));
}

function check<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, golden: Uint8Array): void {
  assert.equal(Buffer.from(toBinary(schema, message)).toString("hex"), Buffer.from(golden).toString("hex"));
  assert.deepEqual(fromBinary(schema, golden), message);
}

describe("RTA protobuf messages", () => {
  it("T is past 2^53: as a double it would change", () => {
    assert.notEqual(BigInt(Number(T)), T);
  });

  describe("rta.model.data", () => {
    it("Event", () => {
      const message = create(EventSchema, {
        eventDefinitionId: 42,
        appName: "Pit",
        timestamp: T,
        statusText: "OK",
        rawData: [1.5, -2],
      });
      const golden = hex(
        "08 2a", // event_definition_id = 42: field 1 varint
        "12 03 50 69 74", // app_name: field 2 length-delimited, "Pit"
        `19 ${T_LE}`, // timestamp: field 3 fixed64 (sfixed64)
        "22 02 4f 4b", // status_text: field 4, "OK"
        "2a 10", // raw_data: field 5, packed (proto3 default), 16 bytes
        "00 00 00 00 00 00 f8 3f", // 1.5, float64 LE
        "00 00 00 00 00 00 00 c0", // -2
      );
      check(EventSchema, message, golden);
    });

    it("Event with a negative int32 id (a ten-byte varint)", () => {
      check(EventSchema, create(EventSchema, { eventDefinitionId: -1 }), hex(`08 ${MINUS_ONE_VARINT}`));
    });

    it("RowData", () => {
      const message = create(RowDataSchema, { channelIds: [1, 300], timestamp: T, buffer: hex("01 02 03") });
      const golden = hex(
        "0a 03 01 ac 02", // channel_ids: field 1 packed, 3 bytes: 1, 300 (0x2c | 0x80, 0x02)
        `11 ${T_LE}`, // timestamp: field 2 fixed64
        "1a 03 01 02 03", // buffer: field 3 bytes
      );
      check(RowDataSchema, message, golden);
    });

    it("PeriodicData", () => {
      const message = create(PeriodicDataSchema, {
        channelId: 1,
        startTimestamp: T,
        interval: 1_000_000n,
        samples: 3,
        buffer: hex("01 00 02 00 03 00"),
      });
      const golden = hex(
        "08 01", // channel_id = 1: field 1 varint
        `11 ${T_LE}`, // start_timestamp: field 2 fixed64
        `18 ${MS_VARINT}`, // interval = 1 ms: field 3 varint
        "20 03", // samples = 3: field 4 varint
        "2a 06 01 00 02 00 03 00", // buffer: field 5, three u16 LE samples 1, 2, 3
      );
      check(PeriodicDataSchema, message, golden);
    });

    it("TimestampedData", () => {
      const message = create(TimestampedDataSchema, {
        channelId: 2,
        startTimestamp: T,
        timestampDeltasScale: 1_000_000n,
        timestampDeltas: [0n, 1n, 300n],
        buffer: hex("0a 0b 0c"),
      });
      const golden = hex(
        "08 02", // channel_id = 2
        `11 ${T_LE}`, // start_timestamp: field 2 fixed64
        `18 ${MS_VARINT}`, // timestamp_deltas_scale = 1 ms: field 3 varint
        "22 04 00 01 ac 02", // timestamp_deltas: field 4 packed int64, 4 bytes: 0, 1, 300
        "2a 03 0a 0b 0c", // buffer: field 5
      );
      check(TimestampedDataSchema, message, golden);
    });

    it("TimestampedData with a negative int64 delta", () => {
      const message = create(TimestampedDataSchema, { timestampDeltas: [0n, -1n] });
      check(TimestampedDataSchema, message, hex(`22 0b 00 ${MINUS_ONE_VARINT}`));
    });

    it("EventsList", () => {
      const message = create(EventsListSchema, { events: [{ eventDefinitionId: 7 }] });
      check(EventsListSchema, message, hex("0a 02 08 07")); // events: field 1, an Event of 2 bytes
    });

    it("RowDataList, with a negative sfixed64", () => {
      const message = create(RowDataListSchema, { rowData: [{ timestamp: -1n }] });
      // row_data: field 1, 9 bytes: timestamp field 2 fixed64, -1 in two's complement
      check(RowDataListSchema, message, hex("0a 09", "11 ff ff ff ff ff ff ff ff"));
    });

    it("PeriodicDataList", () => {
      const message = create(PeriodicDataListSchema, { periodicData: [{ channelId: 1 }, { channelId: 2 }] });
      // periodic_data: field 1 once per element
      check(PeriodicDataListSchema, message, hex("0a 02 08 01", "0a 02 08 02"));
    });

    it("TimestampedDataList, with the largest uint32 channel id", () => {
      const message = create(TimestampedDataListSchema, { timestampedData: [{ channelId: 0xffffffff }] });
      // timestamped_data: field 1, 6 bytes: channel_id field 1, 0xffffffff as a 5-byte varint
      check(TimestampedDataListSchema, message, hex("0a 06", "08 ff ff ff ff 0f"));
    });
  });

  describe("rta.model.net.stream", () => {
    it("StreamSubscription", () => {
      const message = create(StreamSubscriptionSchema, { allEvents: true, dataChannelIds: [1, 2, 0x80] });
      const golden = hex(
        "08 01", // all_events = true: field 1 varint; all_data_channels false is not written
        "1a 04 01 02 80 01", // data_channel_ids: field 3 packed, 4 bytes: 1, 2, 128
      );
      check(StreamSubscriptionSchema, message, golden);
    });

    it("StreamRequest.subscribe (oneof field 2)", () => {
      const message = create(StreamRequestSchema, {
        option: { case: "subscribe", value: { allDataChannels: true } },
      });
      check(StreamRequestSchema, message, hex("12 02", "10 01")); // subscribe: field 2, all_data_channels
    });

    it("StreamRequest.subscribe, empty: the oneof is still written", () => {
      const message = create(StreamRequestSchema, { option: { case: "subscribe", value: {} } });
      check(StreamRequestSchema, message, hex("12 00"));
    });

    it("StreamTimeRange", () => {
      const message = create(StreamTimeRangeSchema, { startTime: T, endTime: T + 1_000_000_000n });
      const golden = hex(
        `09 ${T_LE}`, // start_time: field 1 fixed64
        `11 ${T_PLUS_1S_LE}`, // end_time: field 2 fixed64
      );
      check(StreamTimeRangeSchema, message, golden);
    });

    describe("StreamData, one case per oneof member", () => {
      it("session_json (field 2)", () => {
        const json = '{"identity":"s1"}';
        const message = create(StreamDataSchema, { data: { case: "sessionJson", value: json } });
        check(StreamDataSchema, message, hex("12 11", Buffer.from(json).toString("hex")));
      });

      it("session_json empty: the oneof is still written", () => {
        const message = create(StreamDataSchema, { data: { case: "sessionJson", value: "" } });
        check(StreamDataSchema, message, hex("12 00"));
      });

      it("time_range (field 3)", () => {
        const message = create(StreamDataSchema, {
          data: { case: "timeRange", value: { startTime: T, endTime: T + 1_000_000_000n } },
        });
        check(StreamDataSchema, message, hex("1a 12", `09 ${T_LE}`, `11 ${T_PLUS_1S_LE}`));
      });

      it("timestamped_data (field 4)", () => {
        const message = create(StreamDataSchema, {
          data: { case: "timestampedData", value: { channelId: 3, startTimestamp: T } },
        });
        check(StreamDataSchema, message, hex("22 0b", "08 03", `11 ${T_LE}`));
      });

      it("periodic_data (field 5)", () => {
        const message = create(StreamDataSchema, {
          data: { case: "periodicData", value: { channelId: 4, interval: 1_000_000n, samples: 1 } },
        });
        check(StreamDataSchema, message, hex("2a 08", "08 04", `18 ${MS_VARINT}`, "20 01"));
      });

      it("row_data (field 6)", () => {
        const message = create(StreamDataSchema, {
          data: { case: "rowData", value: { channelIds: [5], buffer: hex("ff") } },
        });
        check(StreamDataSchema, message, hex("32 06", "0a 01 05", "1a 01 ff"));
      });

      it("event (field 7)", () => {
        const message = create(StreamDataSchema, {
          data: { case: "event", value: { eventDefinitionId: 1, timestamp: T } },
        });
        check(StreamDataSchema, message, hex("3a 0b", "08 01", `19 ${T_LE}`));
      });
    });

    it("StreamDataBurst", () => {
      const message = create(StreamDataBurstSchema, {
        data: [
          { data: { case: "timeRange", value: { startTime: T, endTime: T + 1_000_000_000n } } },
          { data: { case: "event", value: { eventDefinitionId: 1 } } },
        ],
      });
      const golden = hex(
        "0a 14", // data: field 1, 20 bytes
        "1a 12", // time_range: field 3, 18 bytes
        `09 ${T_LE}`,
        `11 ${T_PLUS_1S_LE}`,
        "0a 04", // data: field 1, 4 bytes
        "3a 02 08 01", // event: field 7, event_definition_id = 1
      );
      check(StreamDataBurstSchema, message, golden);
    });
  });

  describe("rta.model.net.chunks", () => {
    it("ChunkTransferHeader: sint64 zigzag, packed ids, int32 lengths", () => {
      const message = create(ChunkTransferHeaderSchema, {
        chunkStartTimeDelta: T,
        chunkDurationDelta: -1n,
        channelIds: [3, 4],
        compressionDelta: 1,
        unpackedLength: 1000,
        packedLength: 100,
      });
      const golden = hex(
        // chunk_start_time_delta: field 1 varint of zigzag(T) = 2T = 3_464_000_000_246_913_578
        "08 aa b4 ae e5 da b4 a6 89 30",
        "10 01", // chunk_duration_delta = -1: zigzag(-1) = 1
        "1a 02 03 04", // channel_ids: field 3 packed
        "20 01", // compression_delta = 1
        "28 e8 07", // unpacked_length = 1000 (0x68 | 0x80, 0x07)
        "30 64", // packed_length = 100
      );
      check(ChunkTransferHeaderSchema, message, golden);
    });

    it("ChunkTransferHeader: negative deltas", () => {
      const message = create(ChunkTransferHeaderSchema, {
        chunkStartTimeDelta: -1_000_000_000n,
        compressionDelta: -1,
      });
      const golden = hex(
        "08 ff a7 d6 b9 07", // zigzag(-1e9) = 2 * 1e9 - 1 = 1_999_999_999 = 0x773593ff
        `20 ${MINUS_ONE_VARINT}`, // compression_delta = -1: int32, so sign-extended, not zigzag
      );
      check(ChunkTransferHeaderSchema, message, golden);
    });
  });
});
