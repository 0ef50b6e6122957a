/**
 * Stored records in RTA wire forms. A record's body is the protobuf encoding of its message, so a
 * `*List` element (field 1) and a StreamData element (the message's `oneof` field) are the body
 * with a tag and a length in front: nothing is decoded or re-encoded on the way out.
 */
import { burstElement, lengthDelimited } from "@beamgate/rta";
import type { DataRecord, RecordKind } from "../../telemetry/records.js";

/** StreamData's `oneof data` field of each record kind (specs/rta-stream.md). */
const STREAM_DATA_FIELD: Record<RecordKind, number> = { timestamped: 4, periodic: 5, row: 6, event: 7 };

/** The record as one element of a StreamDataBurst. */
export function streamElement(record: DataRecord): Buffer {
  return burstElement(lengthDelimited(STREAM_DATA_FIELD[record.kind], record.body));
}

/** The record as one element of its `*List` message (every list's items are field 1). */
export function listElement(record: DataRecord): Buffer {
  return lengthDelimited(1, record.body);
}
