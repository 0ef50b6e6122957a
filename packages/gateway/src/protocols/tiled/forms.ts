/**
 * What a dataset node's subscribers receive, whatever socket they use (the single-node stream or
 * the native protocol): the node's schema message, and each stored update in the JSON envelope,
 * its payload decoded (an array's by the node's data type, a table's from Arrow), computed once
 * per live update and shared by every JSON subscriber. The msgpack form is the stored bytes.
 */
import { decode } from "@msgpack/msgpack";
import type { DatasetNode } from "../../datasets/catalog.js";
import type { DatasetStore } from "../../datasets/datasets.js";
import type { LogRecord } from "../../datasets/node-log.js";
import type { DataType } from "./data-type.js";
import { jsonEnvelope } from "./envelope.js";
import { arraySchema, containerSchema, type SchemaMessage, type TiledMessage, tableSchema } from "./messages.js";
import { arrayPayloadJson } from "./payload-json.js";
import { tablePayloadJson } from "./table-json.js";

/** The node's schema message, or undefined for a family that does not stream. */
export function schemaOf(store: DatasetStore, node: DatasetNode): SchemaMessage | undefined {
  if (node.structure_family === "container") return containerSchema();
  if (node.structure_family === "array") return arraySchema(store.arrayStructure(node).data_type);
  if (node.structure_family === "table") return tableSchema(store.tableStructure(node).arrow_schema);
  return undefined;
}

/** The data type an array node's payloads are decoded with (undefined for other nodes). */
export function dataTypeOf(store: DatasetStore, node: DatasetNode): DataType | undefined {
  return node.structure_family === "array" ? store.arrayStructure(node).data_type : undefined;
}

const jsonCache = new WeakMap<LogRecord, string>();

/** A stored (msgpack) update as JSON text; throws if its payload has no JSON form. */
export function recordJson(record: LogRecord, dataType: DataType | undefined): string {
  let text = jsonCache.get(record);
  if (text !== undefined) return text;
  const message = decode(record.bytes) as TiledMessage & { payload?: Uint8Array; shape?: number[] };
  if (message.type === "table-data" && message.payload) {
    text = jsonEnvelope(message, tablePayloadJson(message.payload));
  } else if (message.type === "array-data" && message.payload && dataType) {
    text = jsonEnvelope(message, arrayPayloadJson(message.payload, dataType, message.shape ?? []));
  } else {
    text = jsonEnvelope(message);
  }
  jsonCache.set(record, text);
  return text;
}
