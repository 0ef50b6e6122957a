/**
 * Tiled's node routes: `GET|POST|PUT|PATCH|DELETE /api/v1/metadata/{path}` (read, create a child,
 * replace, patch with JSON Patch or JSON Merge Patch, delete) and `GET /api/v1/search/{path}`
 * (a container's children), with the request bodies Tiled's client sends.
 */
import type { ServerResponse } from "node:http";
import { z } from "zod";
import { ARROW_FILE_MIMETYPE } from "../../datasets/arrow-schema.js";
import { type DatasetNode, type Spec, STRUCTURE_FAMILIES } from "../../datasets/catalog.js";
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
import { BeamgateError } from "../../errors.js";
import type { Access } from "../../security/access.js";
import { sendJson } from "../../transport/http-server.js";
import { readJsonBody } from "../../transport/json-body.js";
import { dataTypeSchema } from "./data-type.js";
import { linksOf, resourceOf } from "./resource.js";
import {
  baseOf,
  boolParam,
  intParam,
  parse,
  type RouteCall,
  sameJson,
  type TiledRoutesOptions,
  TiledStatusError,
} from "./route-params.js";
import { datasetUri } from "./stream-session.js";

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

export async function metadata(call: RouteCall) {
  const { o, req, res, url, access, path } = call;
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
export async function externalDataSource(
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
 * `PATCH /metadata/{path}` (Tiled's `patch_metadata`): the body's `metadata`, `specs` and
 * `access_blob` patched into the node's, as a JSON Patch or a merge patch per the body's
 * `content-type` (406 for another), applied to the node as it is once the body is read. 400 for a
 * patch that does not apply (a failed `test`, a missing path) or leaves metadata that is not an
 * object, 422 for specs that are too many, not unique or not specs. Answers `{id, metadata}`, with
 * `access_blob` when the patch would change it: it is kept, as Tiled keeps it without an access
 * policy that takes it.
 */
export async function patchMetadata(
  o: TiledRoutesOptions,
  res: ServerResponse,
  url: URL,
  node: DatasetNode,
  body: unknown,
) {
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
export function checkSpecs(specs: unknown): Spec[] {
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

/**
 * `DELETE /metadata/{path}?recursive=` (Tiled's `delete`): the node and, with `recursive=true`,
 * everything beneath it (409 for a node with children without). Needs the right to write each
 * node deleted. 200 `null`; 400 for the root. Tiled's `external_only` is read and has no effect:
 * every node here holds data the server manages, and deleting it removes that data.
 */
export async function deleteNode(
  o: TiledRoutesOptions,
  res: ServerResponse,
  url: URL,
  access: Access,
  node: DatasetNode,
) {
  const recursive = boolParam(url, "recursive", false);
  boolParam(url, "external_only", true);
  if (node.parentId === null) throw new BeamgateError("BG_ERR_DATASET_INVALID", "The root cannot be deleted");
  const nodes = recursive ? o.store.catalog.subtree(node) : [node];
  for (const n of nodes) access.require("write", datasetUri(n.path));
  await o.store.delete(node, recursive);
  sendJson(res, 200, null);
}

export async function search(call: RouteCall) {
  const { o, req, res, url, access, path } = call;
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
