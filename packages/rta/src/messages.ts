/**
 * The RTA protobuf messages: the types and schemas that protoc-gen-es generates from proto/ into
 * src/gen/ at build time (`npm run generate`), and the protobuf-es functions that use them.
 * int64 fields (every timestamp, in ns since the Unix epoch) are bigint, so nothing loses precision.
 */

// fromJson/toJson: the protobuf JSON mapping (int64 as decimal strings, bytes as base64).
export { create, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
export {
  type Event,
  EventSchema,
  type EventsList,
  EventsListSchema,
  type PeriodicData,
  type PeriodicDataList,
  PeriodicDataListSchema,
  PeriodicDataSchema,
  type RowData,
  type RowDataList,
  RowDataListSchema,
  RowDataSchema,
  type TimestampedData,
  type TimestampedDataList,
  TimestampedDataListSchema,
  TimestampedDataSchema,
} from "./gen/rta/model/data/data_pb.js";
export { type ChunkTransferHeader, ChunkTransferHeaderSchema } from "./gen/rta/model/net/chunks/chunks_pb.js";
export {
  type StreamData,
  type StreamDataBurst,
  StreamDataBurstSchema,
  StreamDataSchema,
  type StreamRequest,
  StreamRequestSchema,
  type StreamSubscription,
  StreamSubscriptionSchema,
  type StreamTimeRange,
  StreamTimeRangeSchema,
} from "./gen/rta/model/net/stream/stream_pb.js";
