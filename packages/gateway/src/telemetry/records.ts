/**
 * How session data is stored: each item (a periodic, timestamped or row burst, or an event) is one
 * record holding the protobuf bytes of its message and, beside them, what reads filter on (kind,
 * channels, time span), so a read never decodes protobuf to skip a record. The records of one
 * write are one payload of the session's append-log (one frame: all or nothing).
 */

export const RECORD_KINDS = ["periodic", "timestamped", "row", "event"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export interface DataRecord {
  readonly kind: RecordKind;
  /** The channel of a burst, the channels of a row, none for an event. */
  readonly channelIds: readonly number[];
  /** Inclusive time span of the record's samples, ns since the Unix epoch. */
  readonly start: bigint;
  readonly end: bigint;
  /** The message's protobuf encoding (PeriodicData, TimestampedData, RowData or Event). */
  readonly body: Uint8Array;
}

function recordBytes(r: DataRecord): number {
  return 1 + 2 + 4 * r.channelIds.length + 8 + 8 + 4 + r.body.length;
}

/** One payload holding `records`. */
export function encodeRecords(records: readonly DataRecord[]): Buffer {
  let size = 0;
  for (const r of records) size += recordBytes(r);
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const r of records) {
    o = out.writeUInt8(RECORD_KINDS.indexOf(r.kind), o);
    o = out.writeUInt16LE(r.channelIds.length, o);
    for (const id of r.channelIds) o = out.writeUInt32LE(id, o);
    o = out.writeBigInt64LE(r.start, o);
    o = out.writeBigInt64LE(r.end, o);
    o = out.writeUInt32LE(r.body.length, o);
    out.set(r.body, o);
    o += r.body.length;
  }
  return out;
}

/** The records of a payload (already CRC-checked by the log). */
export function* decodeRecords(payload: Buffer): Generator<DataRecord> {
  let o = 0;
  while (o < payload.length) {
    const kind = RECORD_KINDS[payload.readUInt8(o)] as RecordKind;
    const n = payload.readUInt16LE(o + 1);
    o += 3;
    const channelIds: number[] = new Array(n);
    for (let i = 0; i < n; i++, o += 4) channelIds[i] = payload.readUInt32LE(o);
    const start = payload.readBigInt64LE(o);
    const end = payload.readBigInt64LE(o + 8);
    const length = payload.readUInt32LE(o + 16);
    o += 20;
    yield { kind, channelIds, start, end, body: payload.subarray(o, o + length) };
    o += length;
  }
}
