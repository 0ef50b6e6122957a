/**
 * The messages of Tiled's WebSocket stream (`/api/v1/stream/single/{path}`), as plain objects
 * with Tiled's own snake_case keys: the schema message a socket opens with (`array-schema`,
 * `table-schema`, `container-schema`) and the updates that follow (`array-data`, `array-ref`,
 * `table-data`, `container-child-created`, `container-child-metadata-updated`), and one Tiled
 * does not have: `container-child-deleted` (a child was deleted; Tiled's tracker asks for deletion
 * events).
 *
 * Builders check their arguments and give each message every key Tiled sends, `null` included
 * (the Python client needs `offset` and `block` even when null), and never `data_type` or
 * `arrow_schema` on an update (the client merges the schema into each update and fails on
 * duplicates). `KEY_ORDER` is the order of keys on the wire, taken from Tiled's frames; the
 * envelopes (envelope.ts) write keys in that order, whatever order an object was built in.
 *
 * An update is built once per event and shared by every subscriber; nothing here knows about
 * sockets, sequences or storage. Timestamps are strings, passed through as given: Tiled sends
 * naive local time, its client also accepts tz-aware UTC, which `utcTimestamp` writes.
 */
import type { DataType } from "./data-type.js";

interface Stamp {
  /** Per node, from 1, +1 per event. */
  readonly sequence: number;
  /** ISO 8601, e.g. from `utcTimestamp`. */
  readonly timestamp: string;
}

type JsonObject = Readonly<Record<string, unknown>>;

export interface ArraySchemaMessage {
  readonly type: "array-schema";
  readonly version: 1;
  readonly data_type: DataType;
}

export interface TableSchemaMessage {
  readonly type: "table-schema";
  readonly version: 1;
  /** `data:application/vnd.apache.arrow.file;base64,<Arrow IPC schema>` */
  readonly arrow_schema: string;
}

export interface ContainerSchemaMessage {
  readonly type: "container-schema";
  readonly version: 1;
}

export interface ArrayDataMessage extends Stamp {
  readonly type: "array-data";
  readonly mimetype: string;
  /** Shape of the payload: the whole array, the block, or the PATCH's shape (not the new total). */
  readonly shape: readonly number[];
  /** Where a PATCH put the payload; null for a whole array or a block. */
  readonly offset: readonly number[] | null;
  /** Block index of a `PUT /array/block`; null otherwise. */
  readonly block: readonly number[] | null;
  /** Exactly the uploaded bytes: C order, in the schema's data type. */
  readonly payload: Uint8Array;
}

export interface ArrayRefMessage extends Stamp {
  readonly type: "array-ref";
  readonly data_source: JsonObject;
  readonly patch: { readonly offset: readonly number[]; readonly shape: readonly number[] } | null;
  /** The array's new total shape. */
  readonly shape: readonly number[];
  /** Where to GET the new data (see `arrayRefUri`). */
  readonly uri: string;
}

export interface TableDataMessage extends Stamp {
  readonly type: "table-data";
  readonly mimetype: string;
  readonly partition: number | null;
  /** True when rows were appended to the partition (PATCH), false when it was written (PUT). */
  readonly append: boolean;
  /** Exactly the uploaded Arrow IPC file. */
  readonly payload: Uint8Array;
}

export interface ContainerChildCreatedMessage extends Stamp {
  readonly type: "container-child-created";
  readonly key: string;
  readonly structure_family: string;
  readonly specs: readonly unknown[];
  readonly metadata: JsonObject;
  readonly data_sources: readonly unknown[];
  readonly access_blob: JsonObject;
}

export interface ContainerChildMetadataUpdatedMessage extends Stamp {
  readonly type: "container-child-metadata-updated";
  readonly key: string;
  readonly specs: readonly unknown[];
  readonly metadata: JsonObject;
  readonly revision_number: number;
}

/** Beyond Tiled: a child of the container was deleted (with its descendants). */
export interface ContainerChildDeletedMessage extends Stamp {
  readonly type: "container-child-deleted";
  readonly key: string;
}

export type SchemaMessage = ArraySchemaMessage | TableSchemaMessage | ContainerSchemaMessage;
export type UpdateMessage =
  | ArrayDataMessage
  | ArrayRefMessage
  | TableDataMessage
  | ContainerChildCreatedMessage
  | ContainerChildMetadataUpdatedMessage
  | ContainerChildDeletedMessage;
export type TiledMessage = SchemaMessage | UpdateMessage;
export type MessageType = TiledMessage["type"];
export type MessageOf<T extends MessageType> = Extract<TiledMessage, { type: T }>;

/** Keys in wire order, per message type (Tiled's order; `payload` last where there is one). */
export const KEY_ORDER: { readonly [T in MessageType]: readonly (keyof MessageOf<T> & string)[] } = {
  "array-schema": ["type", "version", "data_type"],
  "table-schema": ["type", "version", "arrow_schema"],
  "container-schema": ["type", "version"],
  "array-data": ["type", "sequence", "timestamp", "mimetype", "shape", "offset", "block", "payload"],
  "array-ref": ["type", "sequence", "timestamp", "data_source", "patch", "shape", "uri"],
  "table-data": ["type", "sequence", "timestamp", "mimetype", "partition", "append", "payload"],
  "container-child-created": [
    "type",
    "sequence",
    "timestamp",
    "key",
    "structure_family",
    "specs",
    "metadata",
    "data_sources",
    "access_blob",
  ],
  // Tiled puts `key` before `sequence` here, unlike every other update.
  "container-child-metadata-updated": ["type", "key", "sequence", "timestamp", "specs", "metadata", "revision_number"],
  // Not Tiled's (it has no deletion event): the order of every other update, `key` after the stamp.
  "container-child-deleted": ["type", "sequence", "timestamp", "key"],
};

export const ARRAY_MIMETYPE = "application/octet-stream";
export const ARROW_MIMETYPE = "application/vnd.apache.arrow.file";
const ARROW_DATA_URI_PREFIX = `data:${ARROW_MIMETYPE};base64,`;

// ---- schema messages -------------------------------------------------------------------------

export function arraySchema(dataType: DataType): ArraySchemaMessage {
  const { endianness, kind, itemsize, dt_units } = dataType;
  return { type: "array-schema", version: 1, data_type: { endianness, kind, itemsize, dt_units: dt_units ?? null } };
}

/** `arrowSchema` is the data URI of the Arrow IPC schema (see `arrowSchemaDataUri`). */
export function tableSchema(arrowSchema: string): TableSchemaMessage {
  if (!arrowSchema.startsWith(ARROW_DATA_URI_PREFIX)) {
    throw new RangeError(`arrow_schema must be a ${ARROW_DATA_URI_PREFIX}... data URI`);
  }
  return { type: "table-schema", version: 1, arrow_schema: arrowSchema };
}

/** The `arrow_schema` data URI of an Arrow IPC schema. */
export function arrowSchemaDataUri(ipcSchema: Uint8Array): string {
  return (
    ARROW_DATA_URI_PREFIX + Buffer.from(ipcSchema.buffer, ipcSchema.byteOffset, ipcSchema.byteLength).toString("base64")
  );
}

const CONTAINER_SCHEMA: ContainerSchemaMessage = Object.freeze({ type: "container-schema", version: 1 });

export function containerSchema(): ContainerSchemaMessage {
  return CONTAINER_SCHEMA;
}

// ---- updates ---------------------------------------------------------------------------------

export function arrayData(p: {
  readonly sequence: number;
  readonly timestamp: string;
  readonly shape: readonly number[];
  readonly offset?: readonly number[] | null;
  readonly block?: readonly number[] | null;
  readonly payload: Uint8Array;
  readonly mimetype?: string;
}): ArrayDataMessage {
  checkStamp(p);
  const shape = indexList("shape", p.shape);
  const offset = p.offset == null ? null : indexList("offset", p.offset, shape.length);
  const block = p.block == null ? null : indexList("block", p.block, shape.length);
  if (offset && block) throw new RangeError("array-data has an offset (PATCH) or a block (PUT block), not both");
  return {
    type: "array-data",
    sequence: p.sequence,
    timestamp: p.timestamp,
    mimetype: p.mimetype ?? ARRAY_MIMETYPE,
    shape,
    offset,
    block,
    payload: p.payload,
  };
}

export function arrayRef(p: {
  readonly sequence: number;
  readonly timestamp: string;
  readonly dataSource: JsonObject;
  readonly patch: { readonly offset: readonly number[]; readonly shape: readonly number[] } | null;
  readonly shape: readonly number[];
  readonly uri: string;
}): ArrayRefMessage {
  checkStamp(p);
  const shape = indexList("shape", p.shape);
  const patch =
    p.patch === null
      ? null
      : {
          offset: indexList("patch.offset", p.patch.offset, shape.length),
          shape: indexList("patch.shape", p.patch.shape, shape.length),
        };
  checkObject("data_source", p.dataSource);
  return {
    type: "array-ref",
    sequence: p.sequence,
    timestamp: p.timestamp,
    data_source: p.dataSource,
    patch,
    shape,
    uri: p.uri,
  };
}

/**
 * The `uri` of an `array-ref`, as Tiled builds it: `arrayFullUrl` (`{root}/api/v1/array/full/{path}`)
 * with `?slice=` covering the patch (`2:3,0:7,0:13`), or the whole array (`:3,:7,:13`) without one.
 */
export function arrayRefUri(
  arrayFullUrl: string,
  patch: { readonly offset: readonly number[]; readonly shape: readonly number[] } | null,
  shape: readonly number[],
): string {
  const slice = patch
    ? patch.offset.map((o, i) => `${o}:${o + (patch.shape[i] as number)}`).join(",")
    : shape.map((n) => `:${n}`).join(",");
  return `${arrayFullUrl}?slice=${slice}`;
}

export function tableData(p: {
  readonly sequence: number;
  readonly timestamp: string;
  readonly partition?: number | null;
  readonly append?: boolean;
  readonly payload: Uint8Array;
  readonly mimetype?: string;
}): TableDataMessage {
  checkStamp(p);
  const partition = p.partition ?? null;
  if (partition !== null && !(Number.isSafeInteger(partition) && partition >= 0)) {
    throw new RangeError(`partition must be a non-negative integer, not ${partition}`);
  }
  return {
    type: "table-data",
    sequence: p.sequence,
    timestamp: p.timestamp,
    mimetype: p.mimetype ?? ARROW_MIMETYPE,
    partition,
    append: p.append ?? false,
    payload: p.payload,
  };
}

export function containerChildCreated(p: {
  readonly sequence: number;
  readonly timestamp: string;
  readonly key: string;
  readonly structureFamily: string;
  readonly specs?: readonly unknown[];
  readonly metadata?: JsonObject;
  readonly dataSources?: readonly unknown[];
  readonly accessBlob?: JsonObject;
}): ContainerChildCreatedMessage {
  checkStamp(p);
  const metadata = p.metadata === undefined ? {} : p.metadata; // null is refused below
  const accessBlob = p.accessBlob === undefined ? {} : p.accessBlob;
  checkObject("metadata", metadata);
  checkObject("access_blob", accessBlob);
  return {
    type: "container-child-created",
    sequence: p.sequence,
    timestamp: p.timestamp,
    key: p.key,
    structure_family: p.structureFamily,
    specs: p.specs ?? [],
    metadata,
    data_sources: p.dataSources ?? [],
    access_blob: accessBlob,
  };
}

export function containerChildMetadataUpdated(p: {
  readonly sequence: number;
  readonly timestamp: string;
  readonly key: string;
  readonly specs?: readonly unknown[];
  readonly metadata?: JsonObject;
  readonly revisionNumber: number;
}): ContainerChildMetadataUpdatedMessage {
  checkStamp(p);
  const metadata = p.metadata === undefined ? {} : p.metadata; // null is refused below
  checkObject("metadata", metadata);
  if (!Number.isSafeInteger(p.revisionNumber) || p.revisionNumber < 0) {
    throw new RangeError(`revision_number must be a non-negative integer, not ${p.revisionNumber}`);
  }
  return {
    type: "container-child-metadata-updated",
    key: p.key,
    sequence: p.sequence,
    timestamp: p.timestamp,
    specs: p.specs ?? [],
    metadata,
    revision_number: p.revisionNumber,
  };
}

/** Beyond Tiled: `key`, a child of the container, was deleted (its descendants with it). */
export function containerChildDeleted(p: {
  readonly sequence: number;
  readonly timestamp: string;
  readonly key: string;
}): ContainerChildDeletedMessage {
  checkStamp(p);
  if (typeof p.key !== "string" || p.key === "") throw new RangeError("key must be a non-empty string");
  return { type: "container-child-deleted", sequence: p.sequence, timestamp: p.timestamp, key: p.key };
}

// ---- timestamps ------------------------------------------------------------------------------

/**
 * A tz-aware UTC ISO 8601 timestamp with microseconds, as Python's `datetime.isoformat()` writes
 * one with a non-zero microsecond: `2026-08-21T13:02:20.123456+00:00`. The six digits are always
 * written. `time` is a Date or epoch milliseconds, whose fraction gives the microseconds (a Date
 * has none). Years outside 0000-9999 throw a RangeError: Python's datetime cannot hold them.
 */
export function utcTimestamp(time: Date | number): string {
  const ms = typeof time === "number" ? time : time.getTime();
  if (!Number.isFinite(ms)) throw new RangeError("Invalid time");
  const micros = Math.round(ms * 1000);
  const seconds = Math.floor(micros / 1e6);
  const fraction = micros - seconds * 1e6;
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`Year ${year} is outside 0000-9999`);
  return `${date.toISOString().slice(0, 19)}.${String(fraction).padStart(6, "0")}+00:00`;
}

// ---- checks ----------------------------------------------------------------------------------

function checkStamp(p: Stamp): void {
  if (!Number.isSafeInteger(p.sequence) || p.sequence < 1) {
    throw new RangeError(`sequence must be an integer from 1, not ${p.sequence}`);
  }
  if (typeof p.timestamp !== "string" || p.timestamp === "") throw new RangeError("timestamp must be a string");
}

/** A copy of a list of non-negative integers, of `length` items when given. */
function indexList(name: string, list: readonly number[], length?: number): number[] {
  if (length !== undefined && list.length !== length) {
    throw new RangeError(`${name} has ${list.length} dimensions, the shape ${length}`);
  }
  for (const n of list) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must hold non-negative integers: [${list}]`);
  }
  return [...list];
}

function checkObject(name: string, value: unknown): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RangeError(`${name} must be an object`);
  }
}
