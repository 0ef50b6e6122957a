/**
 * A dataset node's stored data, what its log's records are applied to: a Zarr array (with its
 * logical shape, the shape once every accepted write is applied), an Arrow table, or a registered
 * HDF5 file the server only reads. Applying a batch of records notes how far the data is (the
 * `applied` file); opening the data after a crash applies again what the log holds past that
 * note; `syncData` makes it durable before the log lets go of what it held.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decode } from "@msgpack/msgpack";
import { ArrayStore, type ArrayStructure } from "./array-store.js";
import type { DatasetNode } from "./catalog.js";
import type { Hdf5Reader } from "./hdf5-reader.js";
import { type Hdf5Source, hdf5SourceOf, isExternalHdf5 } from "./hdf5-source.js";
import type { LogRecord, NodeLog } from "./node-log.js";
import { TableStore } from "./table-store.js";

export interface ArrayData {
  readonly kind: "array";
  readonly store: ArrayStore;
  /** The shape once every accepted write is applied (writes are checked against it). */
  shape: number[];
  /** The Zarr chunk shape (fixed at creation): the chunks of any shape the array grows to. */
  readonly chunkShape: readonly number[];
}

export interface TableData {
  readonly kind: "table";
  readonly store: TableStore;
}

/** A registered array: its file and dataset, and its structure as last read from the file. */
export interface ExternalData {
  readonly kind: "external";
  readonly source: Hdf5Source;
  structure: ArrayStructure;
}

export type NodeData = ArrayData | TableData | ExternalData;

/** An open Zarr array's data, its logical shape the stored one. */
export function arrayData(store: ArrayStore): ArrayData {
  return { kind: "array", store, shape: [...store.structure.shape], chunkShape: store.chunkShape };
}

/** Recovery applies the log again in batches of about this many bytes. */
const RECOVERY_BATCH_BYTES = 16 * 1024 * 1024;

/**
 * Opens a node's data in its directory `dir` and applies what `log` holds past the `applied`
 * note. A registered array's structure is read from its file (the registered one if the file
 * cannot be read now).
 */
export async function openData(node: DatasetNode, dir: string, log: NodeLog, hdf5: Hdf5Reader): Promise<NodeData> {
  const source = node.data_sources[0];
  if (node.structure_family === "array" && isExternalHdf5(source)) {
    const file = hdf5SourceOf(source as Record<string, unknown>);
    const registered = source?.structure as ArrayStructure;
    return { kind: "external", source: file, structure: await hdf5.structure(file).catch(() => registered) };
  }
  const data: NodeData =
    node.structure_family === "table"
      ? { kind: "table", store: await TableStore.open(join(dir, "table")) }
      : arrayData(await ArrayStore.open(join(dir, "zarr")));
  let applied = 0;
  try {
    applied = Number(readFileSync(join(dir, "applied"), "utf8")) || 0;
  } catch {
    // Nothing applied yet.
  }
  let batch: LogRecord[] = [];
  let bytes = 0;
  for (const record of log.records(applied + 1)) {
    if (record.end || record.transient) continue;
    batch.push(record);
    bytes += record.bytes.byteLength;
    if (bytes >= RECOVERY_BATCH_BYTES) {
      await applyRecords(data, dir, batch);
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) await applyRecords(data, dir, batch);
  if (data.kind === "array") data.shape = [...data.store.structure.shape];
  return data;
}

/**
 * Applies logged writes, in order, to the data (Zarr or Arrow) and notes the last as applied
 * (not synced: a stale note only means more is applied again after a crash). A registered
 * array's updates (array-ref) have nothing to apply.
 */
export async function applyRecords(data: NodeData, dir: string, records: readonly LogRecord[]): Promise<void> {
  if (data.kind === "external") return;
  if (data.kind === "table") {
    for (const record of records) {
      const m = decode(record.bytes) as { partition: number | null; append: boolean; payload: Uint8Array };
      // A copy, aligned: Arrow's buffers are typed arrays over it.
      const payload = new Uint8Array(m.payload);
      if (m.append) await data.store.append(m.partition ?? 0, payload, record.sequence);
      else await data.store.write(m.partition ?? 0, payload, record.sequence);
    }
  } else {
    const writes = records.map((record) => {
      const m = decode(record.bytes) as {
        shape: number[];
        offset: number[] | null;
        block: number[] | null;
        payload: Uint8Array;
      };
      // A copy: the decoded payload is a view into the record, not aligned for the element type.
      return { block: m.block, offset: m.offset, shape: m.shape, bytes: new Uint8Array(m.payload) };
    });
    await data.store.applyAll(writes);
  }
  await writeFile(join(dir, "applied"), String((records.at(-1) as LogRecord).sequence));
}

/** Makes the data's files durable (nothing to do for a registered file, which is not ours). */
export async function syncData(data: NodeData): Promise<void> {
  if (data.kind !== "external") await data.store.sync();
}
