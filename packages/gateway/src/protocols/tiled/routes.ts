/**
 * Tiled's HTTP routes for datasets under `/api/v1` (specs/tiled-streaming.md; docs/tiled.md): the
 * server-info document, node metadata and listing, creating nodes, replacing and patching metadata
 * (JSON Patch or JSON Merge Patch), deleting nodes, array
 * writes (whole, by block, patch and append) and reads (with `slice`), table writes (whole, a
 * partition, rows appended to a partition) and reads (with `column`) as Arrow IPC files, and
 * closing a stream, and registered (detector-written) HDF5 arrays: created with an external data
 * source, told they grew with `PUT /data_source` (an `array-ref` update), read from the file.
 * Every write answers once durable and published. Errors are
 * `{"detail": ...}` with Tiled's status codes (404 unknown node, 409 a patch outside the array
 * without `extend`, 400 bad input).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { type DatasetNode, type Spec, STRUCTURE_FAMILIES } from "../../datasets/catalog.js";
import type { DatasetStore } from "../../datasets/datasets.js";
import { HDF5_MIMETYPE } from "../../datasets/hdf5-source.js";
import {
  applyJsonPatch,
  applyMergePatch,
  isObject,
  JSON_PATCH,
  MERGE_PATCH,
  PATCH_CONTENT_TYPES,
  PatchError,
  parseJsonPatch,
} from "../../datasets/metadata-patch.js";
import { ARROW_FILE_MIMETYPE } from "../../datasets/table-store.js";
import { asBeamgateError, BeamgateError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { Access } from "../../security/access.js";
import { type Route, sendError, sendJson } from "../../transport/http-server.js";
import { BodyError, readBody, readJsonBody } from "../../transport/json-body.js";
import { VERSION } from "../../version.js";
import { dataTypeSchema } from "./data-type.js";
import { arrayRefUri } from "./messages.js";
import { linksOf, resourceOf } from "./resource.js";
import { datasetUri } from "./stream-session.js";

export interface TiledRoutesOptions {
  readonly store: DatasetStore;
  readonly log: Logger;
  /** Largest request body (an array write), bytes. */
  readonly maxBodyBytes: number;
  /** Whether clients need credentials (the server-info document says so). */
  readonly authenticationRequired: () => boolean;
}

// Keys in Tiled's order (data_type, chunks, shape, dims, resizable): the parsed structure goes out
// as it is in container-child-created.
const ArrayStructureSchema = z.object({
  data_type: dataTypeSchema,
  chunks: z.array(z.array(z.number().int().nonnegative())).max(32),
  shape: z.array(z.number().int().nonnegative()).max(32),
  dims: z.array(z.string()).nullable().default(null),
  resizable: z.boolean().default(false),
});
// Tiled's TableStructure, in its key order; the table store checks the schema itself.
const TableStructureSchema = z.object({
  arrow_schema: z.string(),
  npartitions: z.number().int().min(1),
  columns: z.array(z.string()),
  resizable: z.union([z.boolean(), z.array(z.boolean())]).default(false),
});
// Tiled's Asset, in its key order.
const AssetSchema = z
  .object({
    data_uri: z.string().max(4096),
    is_directory: z.boolean().default(false),
    size: z.number().int().nullable().default(null),
    parameter: z.string().nullable().default(null),
    num: z.number().int().nullable().default(null),
    id: z.number().nullable().default(null),
  })
  .strict();
const SpecSchema = z.object({ name: z.string().min(1).max(255), version: z.string().nullable().default(null) });
const DataSourceSchema = z
  .object({
    structure_family: z.string().optional(),
    structure: z.unknown(),
    id: z.number().nullable().optional(),
    mimetype: z.string().nullable().optional(),
    parameters: z.record(z.string(), z.unknown()).default({}),
    // Sent by Tiled's newer clients (their DataSource has it); nothing here uses it.
    properties: z.record(z.string(), z.unknown()).default({}),
    // Only a registered (external) HDF5 array has one: its file.
    assets: z.array(AssetSchema).max(1, "an external data source has one asset (its HDF5 file)").default([]),
    management: z.enum(["external", "immutable", "locked", "writable"]).default("writable"),
  })
  .strict();
const PostMetadataSchema = z.object({
  structure_family: z.enum(STRUCTURE_FAMILIES),
  metadata: z.record(z.string(), z.unknown()).default({}),
  specs: z.array(SpecSchema).max(20).default([]),
  data_sources: z.array(DataSourceSchema).max(1).default([]),
  access_blob: z.record(z.string(), z.unknown()).default({}),
  id: z.string().optional(),
});
const PutMetadataSchema = z.object({
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  specs: z.array(SpecSchema).max(20).nullable().optional(),
});
/** Tiled's limit on a node's specs. */
const MAX_SPECS = 20;
// Tiled's PatchMetadataRequest: `content-type` is a field of the body (the request itself may
// have none); `specs` must be there, null meaning unchanged, as `metadata` and `access_blob` absent
// or null do. Each is a JSON Patch (a list of operations) or a merge patch, per `content-type`.
const PatchDocument = z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).nullable();
const PatchMetadataSchema = z.object({
  "content-type": z.string(),
  metadata: PatchDocument.optional(),
  specs: z.array(z.unknown()).nullable(),
  access_blob: PatchDocument.optional(),
});

/** An answer with a status of Tiled's own (406, 422) where the catalogue's code has another. */
class TiledStatusError extends BeamgateError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super("BG_ERR_DATASET_INVALID", message);
  }
}

const ROUTES = [
  "metadata",
  "search",
  "array/full",
  "array/block",
  "table/full",
  "table/partition",
  "stream/close",
  "data_source",
] as const;

export function tiledRoutes(o: TiledRoutesOptions): [string, Route][] {
  const wrap =
    (
      handler: (req: IncomingMessage, res: ServerResponse, url: URL, access: Access, path: string) => Promise<void>,
      prefix: string,
    ) =>
    (req: IncomingMessage, res: ServerResponse, url: URL, access: Access) => {
      let path = "";
      try {
        path = decodeURIComponent(url.pathname.slice(`/api/v1/${prefix}`.length)).replace(/^\/+|\/+$/g, "");
      } catch {
        sendJson(res, 400, { detail: "Malformed path" });
        return;
      }
      handler(req, res, url, access, path).catch((e) => answerError(o, res, e, url));
    };
  const routes: [string, Route][] = [
    ["/api/v1/", { methods: ["GET"], handle: (req, res) => sendJson(res, 200, about(baseOf(req), o)) }],
  ];
  const handlers: Record<(typeof ROUTES)[number], [string[], Parameters<typeof wrap>[0]]> = {
    metadata: [
      ["GET", "POST", "PUT", "PATCH", "DELETE"],
      (req, res, url, access, path) => metadata(o, req, res, url, access, path),
    ],
    search: [["GET"], (req, res, url, access, path) => search(o, req, res, url, access, path)],
    "array/full": [["GET", "PUT", "PATCH"], (req, res, url, access, path) => arrayFull(o, req, res, url, access, path)],
    data_source: [["PUT"], (req, res, url, access, path) => putDataSource(o, req, res, url, access, path)],
    "array/block": [["PUT"], (req, res, url, access, path) => arrayBlock(o, req, res, url, access, path)],
    "table/full": [["GET", "PUT"], (req, res, url, access, path) => table(o, req, res, url, access, path, false)],
    "table/partition": [
      ["GET", "PUT", "PATCH"],
      (req, res, url, access, path) => table(o, req, res, url, access, path, true),
    ],
    "stream/close": [
      ["DELETE"],
      async (_req, res, _url, access, path) => {
        const node = o.store.node(path);
        access.require("write", datasetUri(node.path));
        await o.store.closeStream(node);
        sendJson(res, 200, null);
      },
    ],
  };
  for (const prefix of ROUTES) {
    const [methods, handler] = handlers[prefix];
    routes.push([`/api/v1/${prefix}/**`, { methods, handle: wrap(handler, prefix) }]);
  }
  return routes;
}

/** `http://host/api/v1`, as the client reached us. */
function baseOf(req: IncomingMessage): string {
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${tls ? "https" : "http"}://${req.headers.host ?? "localhost"}/api/v1`;
}

function about(base: string, o: TiledRoutesOptions): Record<string, unknown> {
  return {
    api_version: 0,
    library_version: `beamgate-${VERSION}`,
    formats: { array: ["application/octet-stream"], container: ["application/json"], table: [ARROW_FILE_MIMETYPE] },
    aliases: {},
    queries: [],
    authentication: { required: o.authenticationRequired(), providers: [], links: null },
    links: { self: base, documentation: `${base}/docs` },
    meta: { root_path: "/api" },
  };
}

async function metadata(
  o: TiledRoutesOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  access: Access,
  path: string,
) {
  const node = o.store.node(path);
  const base = baseOf(req);
  if (req.method === "GET") {
    access.require("read", datasetUri(node.path));
    sendJson(res, 200, { data: resourceOf(base, node, o.store), error: null, links: null, meta: {} });
    return;
  }
  if (req.method === "DELETE") {
    await deleteNode(o, res, url, access, node);
    return;
  }
  const body = await readJsonBody(req, o.maxBodyBytes);
  if (req.method === "PUT") {
    access.require("write", datasetUri(node.path));
    const put = parse(PutMetadataSchema, body ?? {});
    const dropRevision = boolParam(url, "drop_revision", false);
    const current = o.store.catalog.get(node.id) ?? node;
    const updated = await o.store.replaceMetadata(
      current,
      put.metadata ?? { ...current.metadata },
      put.specs ?? undefined,
      { dropRevision },
    );
    sendJson(res, 200, { id: updated.key, metadata: updated.metadata });
    return;
  }
  if (req.method === "PATCH") {
    access.require("write", datasetUri(node.path));
    await patchMetadata(o, res, url, node, body);
    return;
  }
  const post = parse(PostMetadataSchema, body ?? {});
  const key = post.id ?? crypto.randomUUID();
  const childPath = node.path === "" ? key : `${node.path}/${key}`;
  access.require("write", datasetUri(childPath));
  const source = post.data_sources[0];
  const family = post.structure_family;
  if (family !== "container" && !source) {
    throw new BeamgateError("BG_ERR_DATASET_INVALID", `A ${family} needs one data source with its structure`);
  }
  if (source && (source.management === "external") !== source.assets.length > 0) {
    throw new BeamgateError(
      "BG_ERR_DATASET_INVALID",
      source.assets.length > 0
        ? 'assets (registered files) need management "external"'
        : "an external data source needs its file as an asset",
    );
  }
  const dataSources =
    family === "array" && source?.management === "external"
      ? [await externalDataSource(o, source)]
      : family !== "container" && source
        ? [
            {
              id: 1,
              structure_family: family,
              structure:
                family === "array"
                  ? parse(ArrayStructureSchema, source.structure)
                  : parse(TableStructureSchema, source.structure, "table structure"),
              mimetype: family === "array" ? "application/x-zarr" : ARROW_FILE_MIMETYPE,
              parameters: {},
              properties: {},
              assets: [],
              management: "writable",
            },
          ]
        : [];
  const created = await o.store
    .create(node, {
      key,
      structure_family: post.structure_family,
      metadata: post.metadata,
      specs: post.specs,
      data_sources: dataSources,
      access_blob: post.access_blob,
    })
    .catch((e) => {
      throw e instanceof RangeError ? new BeamgateError("BG_ERR_DATASET_INVALID", e.message) : e;
    });
  sendJson(res, 200, { id: created.key, links: linksOf(base, created, o.store), data_sources: created.data_sources });
}

/**
 * A registered array's data source (Tiled's key order), its structure read from the file: one
 * `file://` asset naming an absolute local path, `mimetype` application/x-hdf5,
 * `parameters.dataset` the dataset's path in the file. 400 for anything else, or a file that cannot
 * be read, or a dataset not in it.
 */
async function externalDataSource(
  o: TiledRoutesOptions,
  source: z.infer<typeof DataSourceSchema>,
): Promise<Record<string, unknown>> {
  if (source.mimetype !== HDF5_MIMETYPE) {
    throw new BeamgateError(
      "BG_ERR_DATASET_INVALID",
      `external data sources: only ${HDF5_MIMETYPE} is supported, not ${source.mimetype ?? "none"}`,
    );
  }
  const dataSource = {
    id: 1,
    structure_family: "array",
    structure: null as unknown,
    mimetype: HDF5_MIMETYPE,
    parameters: source.parameters,
    properties: source.properties,
    assets: source.assets,
    management: "external",
  };
  dataSource.structure = await o.store.externalStructure(dataSource);
  return dataSource;
}

/**
 * `PUT /data_source/{path}?patch_shape=&patch_offset=` (Tiled's `put_data_source`): the detector
 * wrote more of a registered array's file. Both patch parameters or neither (`patch` null); the body
 * (optional) is the data source as the client sees it, not trusted: the file's shape is read
 * again. Answers `null` once the `array-ref` update is durable and published.
 */
async function putDataSource(
  o: TiledRoutesOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  access: Access,
  path: string,
) {
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

/**
 * `PATCH /metadata/{path}` (Tiled's `patch_metadata`): the body's `metadata`, `specs` and
 * `access_blob` patched into the node's, as a JSON Patch or a merge patch per the body's
 * `content-type` (406 for another), applied to the node as it is once the body is read. 400 for a
 * patch that does not apply (a failed `test`, a missing path) or leaves metadata that is not an
 * object, 422 for specs that are too many, not unique or not specs. Answers `{id, metadata}`, with
 * `access_blob` when the patch would change it: it is kept, as Tiled keeps it without an access
 * policy that takes it.
 */
async function patchMetadata(o: TiledRoutesOptions, res: ServerResponse, url: URL, node: DatasetNode, body: unknown) {
  const patch = parse(PatchMetadataSchema, body ?? {});
  const dropRevision = boolParam(url, "drop_revision", false);
  const type = patch["content-type"];
  if (type !== JSON_PATCH && type !== MERGE_PATCH) {
    throw new TiledStatusError(406, `valid content types: ${PATCH_CONTENT_TYPES.join(", ")}`);
  }
  // The node as it is now: another update may have landed while the body was read.
  const current = o.store.catalog.get(node.id);
  if (!current) throw new BeamgateError("BG_ERR_DATASET_NOT_FOUND", `No such entry: ${node.path}`);
  const apply = (what: string, doc: unknown, given: unknown): unknown => {
    try {
      if (given === null || given === undefined) return doc;
      if (type === JSON_PATCH) return applyJsonPatch(doc, parseJsonPatch(given, what), what);
      if (what === "metadata" && !isObject(given))
        throw new PatchError(`${what}: a merge patch of metadata is an object`);
      return applyMergePatch(doc, given);
    } catch (e) {
      throw e instanceof PatchError ? new BeamgateError("BG_ERR_DATASET_INVALID", e.message) : e;
    }
  };
  const metadata = apply("metadata", current.metadata, patch.metadata);
  if (!isObject(metadata)) throw new BeamgateError("BG_ERR_DATASET_INVALID", "metadata: the result is not an object");
  const specs = checkSpecs(apply("specs", current.specs, patch.specs));
  const accessBlob = apply("access_blob", current.access_blob, patch.access_blob);
  const updated = await o.store.replaceMetadata(current, metadata, specs, { dropRevision });
  const answer: Record<string, unknown> = { id: updated.key, metadata: updated.metadata };
  if (!sameJson(accessBlob, current.access_blob)) answer.access_blob = current.access_blob;
  sendJson(res, 200, answer);
}

/** Patched specs as Tiled takes them: a list of at most 20 unique `{name, version}` (422 otherwise). */
function checkSpecs(specs: unknown): Spec[] {
  if (!Array.isArray(specs)) throw new TiledStatusError(422, "specs: the result is not a list of specs");
  if (specs.length > MAX_SPECS) {
    throw new TiledStatusError(422, `Update cannot result in more than ${MAX_SPECS} specs`);
  }
  const out = specs.map((spec, i) => {
    const result = SpecSchema.strict().safeParse(spec);
    if (!result.success) {
      throw new TiledStatusError(422, `specs: item ${i} is not a spec {name, version}: ${JSON.stringify(spec)}`);
    }
    return result.data;
  });
  const seen = new Set(out.map((s) => JSON.stringify([s.name, s.version])));
  if (seen.size !== out.length) throw new TiledStatusError(422, "Update cannot result in non-unique specs");
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every(
      (k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

/**
 * `DELETE /metadata/{path}?recursive=` (Tiled's `delete`): the node and, with `recursive=true`,
 * everything beneath it (409 for a node with children without). Needs the right to write each
 * node deleted. 200 `null`; 400 for the root. Tiled's `external_only` is read and has no effect:
 * every node here holds data the server manages, and deleting it removes that data.
 */
async function deleteNode(o: TiledRoutesOptions, res: ServerResponse, url: URL, access: Access, node: DatasetNode) {
  const recursive = boolParam(url, "recursive", false);
  boolParam(url, "external_only", true);
  if (node.parentId === null) throw new BeamgateError("BG_ERR_DATASET_INVALID", "The root cannot be deleted");
  const nodes = recursive ? o.store.catalog.subtree(node) : [node];
  for (const n of nodes) access.require("write", datasetUri(n.path));
  await o.store.delete(node, recursive);
  sendJson(res, 200, null);
}

async function search(
  o: TiledRoutesOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  access: Access,
  path: string,
) {
  const node = o.store.node(path);
  access.require("read", datasetUri(node.path));
  if (node.structure_family !== "container")
    throw new BeamgateError("BG_ERR_DATASET_NOT_FOUND", `${path} is not a container`);
  const offset = intParam(url, "page[offset]", 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(url, "page[limit]", 100, 0, 300);
  const base = baseOf(req);
  const children = o.store.catalog.children(node).filter((c) => access.may("read", datasetUri(c.path)));
  const page = children.slice(offset, offset + limit);
  const link = (at: number) => `${base}/search/${node.path}?page[offset]=${at}&page[limit]=${limit}`;
  sendJson(res, 200, {
    data: page.map((c) => resourceOf(base, c, o.store)),
    error: null,
    links: {
      self: link(offset),
      first: limit ? link(0) : null,
      last: limit ? link(Math.max(0, Math.floor((children.length - 1) / limit) * limit)) : null,
      next: offset + limit < children.length && limit ? link(offset + limit) : null,
      prev: offset > 0 && limit ? link(Math.max(0, offset - limit)) : null,
    },
    meta: { count: children.length },
  });
}

async function arrayFull(
  o: TiledRoutesOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  access: Access,
  path: string,
) {
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

async function arrayBlock(
  o: TiledRoutesOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  access: Access,
  path: string,
) {
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
async function table(
  o: TiledRoutesOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  access: Access,
  path: string,
  partitioned: boolean,
) {
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
function refuseExternal(o: TiledRoutesOptions, node: DatasetNode): void {
  if (o.store.isExternal(node)) throw new TiledStatusError(405, "This node cannot accept array data");
}

async function octetBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  return typedBody(req, maxBytes, "application/octet-stream");
}

/** The body, if its Content-Type is `type` (parameters aside); 400 otherwise. */
async function typedBody(req: IncomingMessage, maxBytes: number, type: string): Promise<Uint8Array> {
  const given = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (given !== type) {
    throw new BeamgateError("BG_ERR_DATASET_INVALID", `Content-Type must be ${type}, not "${given ?? ""}"`);
  }
  return readBody(req, maxBytes);
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what = "body"): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.join(".");
  throw new BeamgateError(
    "BG_ERR_DATASET_INVALID",
    `${what === "body" ? where || what : `${what}${where ? ` ${where}` : ""}`}: ${issue?.message}`,
  );
}

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new BeamgateError("BG_ERR_DATASET_INVALID", `${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

function boolParam(url: URL, name: string, fallback: boolean): boolean {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  throw new BeamgateError("BG_ERR_DATASET_INVALID", `${name} must be true or false`);
}

/** `1,2,3` (Tiled's `offset`, `shape`, `block`); "" is the empty list (a scalar's block). */
function listParam(url: URL, name: string, required: boolean): number[] | undefined {
  const text = url.searchParams.get(name);
  if (text === null) {
    if (required) throw new BeamgateError("BG_ERR_DATASET_INVALID", `${name} is required`);
    return undefined;
  }
  if (text === "") return [];
  if (!/^\d+(,\d+)*$/.test(text)) throw new BeamgateError("BG_ERR_DATASET_INVALID", `${name} must be like 1,2,3`);
  return text.split(",").map(Number);
}

function answerError(o: TiledRoutesOptions, res: ServerResponse, e: unknown, url: URL): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (e instanceof BodyError) {
    sendJson(res, e.status, { detail: e.message });
    return;
  }
  if (e instanceof TiledStatusError) {
    sendJson(res, e.status, { detail: e.message, code: e.code });
    return;
  }
  if (!(e instanceof BeamgateError)) o.log.error({ err: e, path: url.pathname }, "dataset request failed");
  sendError(res, asBeamgateError(e, "BG_ERR_DATASET_STORAGE"));
}
