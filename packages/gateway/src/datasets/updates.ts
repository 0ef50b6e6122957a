/**
 * A dataset node's updates as its log stores them: Tiled's msgpack stream messages, exactly the
 * bytes a msgpack subscriber receives, so replay and live delivery send stored bytes as they are.
 * The timestamp is the time the update was logged, in tz-aware UTC.
 */

import { nowMs } from "../core/time.js";
import { msgpackEnvelope } from "../protocols/tiled/envelope.js";
import {
  arrayData,
  arrayRef,
  containerChildCreated,
  containerChildDeleted,
  containerChildMetadataUpdated,
  tableData,
  utcTimestamp,
} from "../protocols/tiled/messages.js";
import type { DatasetNode } from "./catalog.js";

export interface Stamp {
  readonly sequence: number;
  readonly timestamp: string;
}

export function stamp(sequence: number): Stamp {
  return { sequence, timestamp: utcTimestamp(nowMs()) };
}

export function childCreated(s: Stamp, node: DatasetNode): Uint8Array {
  return msgpackEnvelope(
    containerChildCreated({
      ...s,
      key: node.key,
      structureFamily: node.structure_family,
      specs: node.specs,
      metadata: node.metadata,
      dataSources: node.data_sources,
      accessBlob: node.access_blob,
    }),
  );
}

export function childMetadataUpdated(s: Stamp, node: DatasetNode): Uint8Array {
  return msgpackEnvelope(
    containerChildMetadataUpdated({
      ...s,
      key: node.key,
      specs: node.specs,
      metadata: node.metadata,
      revisionNumber: node.revision_number,
    }),
  );
}

/** Beyond Tiled: the child `key` was deleted. */
export function childDeleted(s: Stamp, key: string): Uint8Array {
  return msgpackEnvelope(containerChildDeleted({ ...s, key }));
}

export function arrayWrite(
  s: Stamp,
  write: { shape: number[]; offset: number[] | null; block: number[] | null; payload: Uint8Array },
): Uint8Array {
  return msgpackEnvelope(arrayData({ ...s, ...write }));
}

/** A table write: `partition` null for `PUT table/full`, `append` for a PATCH; `payload` the uploaded Arrow IPC file. */
export function tableWrite(
  s: Stamp,
  write: { partition: number | null; append: boolean; payload: Uint8Array },
): Uint8Array {
  return msgpackEnvelope(tableData({ ...s, ...write }));
}

/**
 * A registered array grew (`PUT /data_source`): its data source as it is now, the region written
 * (`patch`, or null), the new total shape and where to GET the new data (`arrayRefUri`).
 */
export function arrayRefUpdate(
  s: Stamp,
  ref: {
    dataSource: Readonly<Record<string, unknown>>;
    patch: { offset: number[]; shape: number[] } | null;
    shape: number[];
    uri: string;
  },
): Uint8Array {
  return msgpackEnvelope(arrayRef({ ...s, ...ref }));
}
