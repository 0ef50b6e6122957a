/**
 * `GET /openapi.json` (the OpenAPI document, openapi.ts) and the interactive API docs `GET /docs`,
 * as FastAPI serves them for ophyd-websocket: Swagger UI, from the npm package swagger-ui-dist,
 * served by beamgate itself under `/docs/assets/` (no CDN: it works offline and behind a strict
 * firewall). Only the whitelisted asset files exist as routes (exact paths, so no traversal);
 * each is read once and kept in memory.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { publicRoute, type Route } from "../../transport/http-server.js";
import { openApiDocument } from "./openapi.js";

/** The swagger-ui-dist files the page loads, and their content types. */
const ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

/** Asset URLs carry swagger-ui-dist's version (`?v=`), so they can be cached for good. */
const CACHE_FOREVER = "public, max-age=31536000, immutable";
const ALWAYS_CHECK = "no-cache";

/** Contents of the asset files, read once per process (about 2 MB). */
const assetCache = new Map<string, Buffer>();

function readAsset(dir: string, file: string): Buffer {
  const path = join(dir, file);
  let body = assetCache.get(path);
  if (!body) {
    body = readFileSync(path);
    assetCache.set(path, body);
  }
  return body;
}

/** The routes of `/openapi.json`, `/docs` and `/docs/assets/<file>` (exact paths). */
export function apiDocsRoutes(version: string): Array<[string, Route]> {
  const dir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const uiVersion = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
  const spec = Buffer.from(JSON.stringify(openApiDocument(version)));
  const init = initScript();
  const page = Buffer.from(docsPage(uiVersion, init));
  // Swagger UI sets inline styles and shows data: images; it fetches only /openapi.json.
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${createHash("sha256").update(init).digest("base64")}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
  ].join("; ");
  const assets = Object.entries(ASSETS).map(([file, type]): [string, Route] => {
    const body = readAsset(dir, file);
    return [`/docs/assets/${file}`, publicRoute((_req, res) => send(res, body, type, CACHE_FOREVER))];
  });
  return [
    ["/openapi.json", publicRoute((_req, res) => send(res, spec, "application/json", ALWAYS_CHECK))],
    [
      "/docs",
      publicRoute((_req, res) => {
        res.setHeader("content-security-policy", csp);
        send(res, page, "text/html; charset=utf-8", ALWAYS_CHECK);
      }),
    ],
    ...assets,
  ];
}

function send(res: ServerResponse, body: Buffer, type: string, cache: string): void {
  res.writeHead(200, {
    "content-type": type,
    "content-length": body.length,
    "cache-control": cache,
    "x-content-type-options": "nosniff",
  });
  res.end(body); // Node sends no body for HEAD
}

/** FastAPI's Swagger UI settings, with no online validator (it would call out). */
function initScript(): string {
  return `
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
`;
}

function docsPage(uiVersion: string, init: string): string {
  const asset = (file: string) => `/docs/assets/${file}?v=${encodeURIComponent(uiVersion)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>beamgate - API docs</title>
<link rel="stylesheet" href="${asset("swagger-ui.css")}">
<link rel="icon" type="image/png" href="${asset("favicon-32x32.png")}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${asset("swagger-ui-bundle.js")}"></script>
<script>${init}</script>
</body>
</html>
`;
}
