/**
 * The samples of a stored record for one channel, with their times: what a native topic or the
 * recorder's reader needs. Decoded once per record and channel, shared by every topic following it.
 */
import {
  decodeSamples,
  decodeTimestamps,
  fromBinary,
  PeriodicDataSchema,
  RowDataSchema,
  TimestampedDataSchema,
} from "@beamgate/rta";
import type { ChannelMap } from "./config.js";
import type { DataRecord } from "./records.js";

export interface ChannelSamples {
  readonly values: Float64Array;
  /** ns since the Unix epoch, one per value. */
  readonly times: readonly bigint[];
}

/** The record's samples of `channel` (empty for records without it, and for events). */
export function samplesOf(record: DataRecord, channel: number, channels: ChannelMap): ChannelSamples {
  const spec = channels.channels.get(channel);
  if (!spec || record.kind === "event" || !record.channelIds.includes(channel)) return EMPTY;
  switch (record.kind) {
    case "periodic": {
      const m = fromBinary(PeriodicDataSchema, record.body);
      const values = decodeSamples(spec.type, m.buffer);
      const times = Array.from(values, (_, i) => m.startTimestamp + BigInt(i) * m.interval);
      return { values, times };
    }
    case "timestamped": {
      const m = fromBinary(TimestampedDataSchema, record.body);
      const times = decodeTimestamps(m.startTimestamp, m.timestampDeltasScale, m.timestampDeltas);
      return { values: decodeSamples(spec.type, m.buffer), times };
    }
    case "row": {
      const m = fromBinary(RowDataSchema, record.body);
      let offset = 0;
      for (const id of m.channelIds) {
        if (id === channel) break;
        offset += channels.channels.get(id)?.width ?? 0;
      }
      const values = decodeSamples(spec.type, m.buffer.subarray(offset, offset + spec.width));
      return { values, times: [m.timestamp] };
    }
  }
}

const EMPTY: ChannelSamples = { values: new Float64Array(0), times: [] };
