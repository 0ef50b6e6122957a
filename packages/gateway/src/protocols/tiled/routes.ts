/**
 * Tiled's HTTP routes for datasets under `/api/v1` (specs/tiled-streaming.md; docs/tiled.md): the
 * server-info document and the route table; the handlers are in `metadata-routes.ts` (nodes:
 * metadata, creation, patches, deletion, listing) and `data-routes.ts` (array and table data,
 * registered data sources). Every write answers once durable and published. Errors are
 * `{"detail": ..., "code": ...}` with Tiled's status codes (404 unknown node, 409 a patch outside
 * the array without `extend`, 400 bad input).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ARROW_FILE_MIMETYPE } from "../../datasets/arrow-schema.js";
import { asBeamgateError, BeamgateError } from "../../errors.js";
import type { Access } from "../../security/access.js";
import { type Route, sendError, sendJson } from "../../transport/http-server.js";
import { BodyError } from "../../transport/json-body.js";
import { VERSION } from "../../version.js";
import { arrayBlock, arrayFull, putDataSource, table } from "./data-routes.js";
import { metadata, search } from "./metadata-routes.js";
import { baseOf, type RouteCall, type TiledRoutesOptions, TiledStatusError } from "./route-params.js";

export type { TiledRoutesOptions };

import { datasetUri } from "./stream-session.js";

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
    (handler: (call: RouteCall) => Promise<void>, prefix: string) =>
    (req: IncomingMessage, res: ServerResponse, url: URL, access: Access) => {
      let path = "";
      try {
        path = decodeURIComponent(url.pathname.slice(`/api/v1/${prefix}`.length)).replace(/^\/+|\/+$/g, "");
      } catch {
        sendJson(res, 400, { detail: "Malformed path" });
        return;
      }
      handler({ o, req, res, url, access, path }).catch((e) => answerError(o, res, e, url));
    };
  const routes: [string, Route][] = [
    ["/api/v1/", { methods: ["GET"], handle: (req, res) => sendJson(res, 200, about(baseOf(req), o)) }],
  ];
  const handlers: Record<(typeof ROUTES)[number], [string[], Parameters<typeof wrap>[0]]> = {
    metadata: [["GET", "POST", "PUT", "PATCH", "DELETE"], metadata],
    search: [["GET"], search],
    "array/full": [["GET", "PUT", "PATCH"], arrayFull],
    data_source: [["PUT"], putDataSource],
    "array/block": [["PUT"], arrayBlock],
    "table/full": [["GET", "PUT"], (call) => table(call, false)],
    "table/partition": [["GET", "PUT", "PATCH"], (call) => table(call, true)],
    "stream/close": [
      ["DELETE"],
      async ({ res, access, path }) => {
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
