import { ARROW_FILE_MIMETYPE } from "../../datasets/arrow-schema.js";
import type { DatasetNode } from "../../datasets/catalog.js";
import { isObject } from "../../datasets/metadata-patch.js";
import { BeamgateError } from "../../errors.js";
import { sendJson } from "../../transport/http-server.js";
import { readJsonBody } from "../../transport/json-body.js";
import { arrayRefUri } from "./messages.js";
import {
  baseOf,
  boolParam,
  intParam,
  listParam,
  octetBody,
  type RouteCall,
  sameJson,
  type TiledRoutesOptions,
  TiledStatusError,
  typedBody,
} from "./route-params.js";
import { datasetUri } from "./stream-session.js";

/**
 * `PUT /data_source/{path}?patch_shape=&patch_offset=` (Tiled's `put_data_source`): the detector
 * wrote more of a registered array's file. Both patch parameters or neither (`patch` null); the body
 * (optional) is the data source as the client sees it, not trusted: the file's shape is read
 * again. Answers `null` once the `array-ref` update is durable and published.
 */
export async function putDataSource(call: RouteCall) {
  const { o, req, res, url, access, path } = call;
  const node = o.store.node(path);
  access.require("write", datasetUri(node.path));
  const body = await readJsonBody(req, o.maxBodyBytes);
  if (body !== undefined && body !== null && !isObject(body)) {
    throw new BeamgateError("BG_ERR_DATASET_INVALID", "body: a data source (a JSON object) or nothing");
  }
  const shape = listParam(url, "patch_shape", false);
  const offset = listParam(url, "patch_offset", false);
  if ((shape === undefined) !== (offset === undefined)) {
    throw new BeamgateError("BG_ERR_DATASET_INVALID", "patch_shape and patch_offset go together");
  }
  const patch = shape && offset ? { offset, shape } : null;
  const full = `${baseOf(req)}/array/full/${node.path}`;
  const { structure } = await o.store.dataSourceUpdated(node, patch, (p, s) => arrayRefUri(full, p, s));
  const claimed = isObject(body) && isObject(body.structure) ? body.structure.shape : undefined;
  if (claimed !== undefined && !sameJson(claimed, structure.shape)) {
    o.log.debug({ path: node.path, claimed, shape: structure.shape }, "data source update: the file's shape wins");
  }
  sendJson(res, 200, null);
}

export async function arrayFull(call: RouteCall) {
  const { o, req, res, url, access, path } = call;
  const node = o.store.node(path);
  if (req.method === "GET") {
    access.require("read", datasetUri(node.path));
    const { bytes } = await o.store.read(node, url.searchParams.get("slice") ?? undefined);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.byteLength });
    res.end(bytes);
    return;
  }
  access.require("write", datasetUri(node.path));
  refuseExternal(o, node);
  const persist = boolParam(url, "persist", true);
  const bytes = await octetBody(req, o.maxBodyBytes);
  if (req.method === "PUT") {
    await o.store.writeFull(node, bytes, persist);
    sendJson(res, 200, null);
    return;
  }
  const extend = boolParam(url, "extend", false);
  if (extend && !persist) throw new BeamgateError("BG_ERR_DATASET_INVALID", "extend=true needs persist=true");
  const offset = listParam(url, "offset", true) as number[];
  const shape = listParam(url, "shape", true) as number[];
  sendJson(res, 200, await o.store.patch(node, offset, shape, bytes, extend, persist));
}

export async function arrayBlock(call: RouteCall) {
  const { o, req, res, url, access, path } = call;
  const node = o.store.node(path);
  access.require("write", datasetUri(node.path));
  refuseExternal(o, node);
  const block = listParam(url, "block", false) ?? [];
  await o.store.writeBlock(node, block, await octetBody(req, o.maxBodyBytes), boolParam(url, "persist", true));
  sendJson(res, 200, null);
}

/**
 * `table/full` (`partitioned` false) and `table/partition?partition=N`: GET answers an Arrow IPC
 * file (`column=` repeated selects columns), PUT replaces (the whole table, or partition N), PATCH
 * appends rows to partition N. Writes take an Arrow IPC file and answer `null`.
 */
export async function table(call: RouteCall, partitioned: boolean) {
  const { o, req, res, url, access, path } = call;
  const node = o.store.node(path);
  access.require(req.method === "GET" ? "read" : "write", datasetUri(node.path));
  if (node.structure_family !== "table") {
    throw new BeamgateError("BG_ERR_DATASET_NOT_FOUND", `${path || "/"} is not a table`);
  }
  const partition = partitioned ? intParam(url, "partition", -1, 0, Number.MAX_SAFE_INTEGER) : undefined;
  if (partition === -1) throw new BeamgateError("BG_ERR_DATASET_INVALID", "partition is required");
  if (req.method === "GET") {
    const columns = url.searchParams.getAll("column");
    const bytes = await o.store.readTable(node, partition, columns.length > 0 ? columns : undefined);
    res.writeHead(200, { "content-type": ARROW_FILE_MIMETYPE, "content-length": bytes.byteLength });
    res.end(bytes);
    return;
  }
  const bytes = await typedBody(req, o.maxBodyBytes, ARROW_FILE_MIMETYPE);
  await o.store.writeTable(node, partition ?? null, bytes, req.method === "PATCH");
  sendJson(res, 200, null);
}

/** 405 for a write to a registered array: its data is the detector's file. */
export function refuseExternal(o: TiledRoutesOptions, node: DatasetNode): void {
  if (o.store.isExternal(node)) throw new TiledStatusError(405, "This node cannot accept array data");
}
