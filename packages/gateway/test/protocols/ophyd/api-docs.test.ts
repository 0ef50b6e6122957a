/**
 * `/openapi.json`, `/docs` and its Swagger UI assets over real HTTP, from an HttpServer holding
 * only these routes; and the page in a real Chromium, rendering the operations with no request
 * leaving the gateway.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_LIMITS } from "../../../src/limits.js";
import { createLogger } from "../../../src/log.js";
import { apiDocsRoutes } from "../../../src/protocols/ophyd/api-docs.js";
import { HttpServer } from "../../../src/transport/http-server.js";
import { launchChromium, skipWithoutChromium } from "../../helpers/browser.js";
import { openSecurity } from "../../helpers/security.js";

// In CI (.ci/run installs it) a missing browser is a failure, not a reason to skip.

const REST_PATHS = [
  "/api/v1/load-devices",
  "/api/v1/devices",
  "/api/v1/devices/{device_name}",
  "/api/v1/devices-info",
  "/api/v1/pvs",
  "/api/v1/pvs/{pv}",
  "/api/v1/queue-server/status",
  "/api/v1/websockets",
  "/health",
  "/",
];
const WS_PATHS = [
  "/api/v1/pv-socket",
  "/api/v1/device-socket",
  "/api/v1/camera-socket",
  "/api/v1/qs-console-socket",
  "/ws",
  "/api/v1/stream/multi",
];
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request with the path sent exactly as given (no client-side normalisation of `..`). */
function fetchRaw(port: number, path: string, method = "GET"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

type Doc = {
  openapi: string;
  info: { title: string; version: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, { tags: string[]; responses: Record<string, unknown>; [k: string]: unknown }>>;
};

describe("API docs: /openapi.json and /docs", () => {
  let server: HttpServer;
  let port: number;
  let doc: Doc;
  const uiDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

  before(async () => {
    server = new HttpServer({
      limits: { ...DEFAULT_LIMITS },
      log: createLogger("silent"),
      adapters: [],
      ...(await openSecurity()),
      routes: new Map(apiDocsRoutes("9.8.7")),
    });
    port = (await server.listen("127.0.0.1", 0)).port;
  });
  after(() => server.close());

  it("serves the OpenAPI 3.1 document as JSON", async () => {
    const r = await fetchRaw(port, "/openapi.json");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "application/json");
    doc = JSON.parse(r.body.toString("utf8"));
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    assert.deepEqual(doc.info, { ...doc.info, title: "beamgate", version: "9.8.7" });
    assert.deepEqual(
      doc.tags.map((t) => t.name),
      ["ophyd-websocket REST", "WebSocket", "beamgate"],
    );
  });

  it("documents exactly the REST routes and the WebSocket endpoints", () => {
    assert.deepEqual(Object.keys(doc.paths).sort(), [...REST_PATHS, ...WS_PATHS].sort());
    const methods = (path: string) => Object.keys(doc.paths[path] ?? {}).filter((k) => METHODS.includes(k));
    assert.deepEqual(methods("/api/v1/load-devices"), ["post"]);
    assert.deepEqual(methods("/api/v1/devices").sort(), ["get", "put"]);
    assert.deepEqual(methods("/api/v1/pvs").sort(), ["get", "put"]);
    assert.deepEqual(methods("/api/v1/pvs/{pv}").sort(), ["get", "post"]);
  });

  it("gives every operation a tag, an operationId and responses", () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(METHODS.includes(method), where);
        assert.equal(op.tags.length, 1, where);
        assert.ok(Object.keys(op.responses).length > 0, `${where} has responses`);
        assert.ok(!ids.has(op.operationId as string), `${where}: operationId is unique`);
        ids.add(op.operationId as string);
      }
    }
  });

  it("has the status codes and bodies of the real server", () => {
    const codes = (path: string, method: string) => Object.keys(doc.paths[path]?.[method]?.responses ?? {});
    for (const code of ["200", "400", "500"]) assert.ok(codes("/api/v1/load-devices", "post").includes(code));
    for (const code of ["200", "400", "404", "422", "423", "500"])
      assert.ok(codes("/api/v1/devices", "put").includes(code));
    for (const code of ["200", "423", "500"]) assert.ok(codes("/api/v1/pvs", "put").includes(code));
    assert.ok(codes("/api/v1/pvs/{pv}", "post").includes("201"));
    const text = JSON.stringify(doc);
    for (const body of [
      '{"PV List":["SIM:m1","SIM:m2"]}',
      '{"404 Error":"PV SIM:m1 not found"}',
      '{"201":"PV SIM:m1 is connected"}',
      '{"200":"Instruction accepted, set value of SIM:m1 to 3."}',
      '"error":"No startup directory specified"',
      '"error":"Device operation blocked - Queue server is currently running an experiment"',
    ]) {
      assert.ok(text.includes(body), body);
    }
    const body = doc.paths["/api/v1/devices"]?.put?.requestBody as {
      content: Record<string, { schema: { required: string[] } }>;
    };
    assert.deepEqual(body.content["application/json"]?.schema.required, ["device", "set_value"]);
  });

  it("marks the WebSocket endpoints as GET upgrades with x-websocket, their messages and a 101", () => {
    for (const path of WS_PATHS) {
      const op = doc.paths[path]?.get;
      assert.ok(op, path);
      assert.deepEqual(op.tags, ["WebSocket"], path);
      assert.equal(op["x-websocket"], true, path);
      assert.match(String((op.responses["101"] as { description: string }).description), /^Switching Protocols/);
      const description = String(op.description);
      assert.match(description, /### Client messages/, path);
      assert.match(description, /### Server frames/, path);
    }
    for (const path of REST_PATHS) {
      for (const op of Object.values(doc.paths[path] ?? {})) assert.equal(op["x-websocket"], undefined, path);
    }
    const pvSocket = String(doc.paths["/api/v1/pv-socket"]?.get?.description);
    assert.ok(pvSocket.includes('`{"action":"subscribe","pv":"SIM:m1.RBV"}`'));
    assert.ok(pvSocket.includes('"sub_type":"meta","obj":"SIM:m1","pv":"SIM:m1"'));
  });

  it("resolves every $ref within the document", () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]*"/g) ?? [];
    assert.ok(refs.length > 0);
    for (const raw of refs) {
      const pointer = raw.slice('"$ref":"'.length, -1);
      assert.match(pointer, /^#\//);
      let node: unknown = doc;
      for (const part of pointer.slice(2).split("/")) node = (node as Record<string, unknown>)[part];
      assert.ok(node !== undefined, `${pointer} resolves`);
    }
  });

  it("serves /docs as HTML loading Swagger UI from the gateway only", async () => {
    const r = await fetchRaw(port, "/docs");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "text/html; charset=utf-8");
    const html = r.body.toString("utf8");
    assert.ok(!/https?:\/\//.test(html), "no absolute URL");
    assert.ok(!html.includes("//cdn") && !html.includes("unpkg") && !html.includes("jsdelivr"));
    const urls = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1] as string);
    assert.ok(urls.length >= 2);
    for (const url of urls) assert.match(url, /^\/docs\/assets\/[\w.-]+(\?v=[\w.-]+)?$/);
    assert.ok(urls.some((u) => u.startsWith("/docs/assets/swagger-ui-bundle.js")));
    assert.ok(urls.some((u) => u.startsWith("/docs/assets/swagger-ui.css")));
    assert.match(html, /url: "\/openapi\.json"/);
    assert.match(String(r.headers["content-security-policy"]), /default-src 'none'/);
  });

  it("serves each asset with its content type and a long cache", async () => {
    for (const [file, type] of [
      ["swagger-ui-bundle.js", "text/javascript; charset=utf-8"],
      ["swagger-ui.css", "text/css; charset=utf-8"],
      ["favicon-32x32.png", "image/png"],
    ] as const) {
      const r = await fetchRaw(port, `/docs/assets/${file}?v=1`);
      assert.equal(r.status, 200, file);
      assert.equal(r.headers["content-type"], type, file);
      assert.match(String(r.headers["cache-control"]), /max-age=31536000/, file);
      assert.ok(r.body.equals(readFileSync(join(uiDir, file))), `${file}: the package's bytes`);
      const head = await fetchRaw(port, `/docs/assets/${file}`, "HEAD");
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal(Number(head.headers["content-length"]), r.body.length);
    }
  });

  it("answers 404 for anything else under /docs, path traversal included", async () => {
    for (const path of [
      "/docs/assets/nosuch.js",
      "/docs/assets/",
      "/docs/assets/index.html",
      "/docs/assets/swagger-ui-bundle.js.map",
      "/docs/assets/package.json",
      "/docs/assets/../package.json",
      "/docs/assets/../../node_modules/swagger-ui-dist/package.json",
      "/docs/assets/%2e%2e/%2e%2e/package.json",
      "/docs/assets/..%2f..%2fpackage.json",
      "/docs/assets/swagger-ui.css/../../../etc/passwd",
      "/docs/",
    ]) {
      const r = await fetchRaw(port, path);
      assert.equal(r.status, 404, path);
      assert.deepEqual(JSON.parse(r.body.toString("utf8")), { detail: "Not Found" }, path);
    }
    assert.equal((await fetchRaw(port, "/docs", "POST")).status, 405);
  });

  it("renders the operations in Chromium, with no request leaving the gateway", {
    skip: skipWithoutChromium,
  }, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const origin = `http://127.0.0.1:${port}`;
      const requests: string[] = [];
      const problems: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      await page.goto(`${origin}/docs`, { timeout: 15_000 });
      await page.locator(".opblock").first().waitFor({ timeout: 15_000 });
      await page.getByText("/api/v1/load-devices", { exact: true }).first().waitFor({ timeout: 5_000 });
      const operations = await page.locator(".opblock").count();
      assert.equal(operations, 19, "every operation is listed");
      for (const tag of ["ophyd-websocket REST", "WebSocket", "beamgate"]) {
        assert.equal(await page.locator(`.opblock-tag[data-tag="${tag}"]`).count(), 1, tag);
      }
      // Open a WebSocket endpoint: its description lists the messages, and 101 is a response.
      await page.locator("#operations-WebSocket-pvSocket .opblock-summary").click();
      const opened = page.locator("#operations-WebSocket-pvSocket");
      await opened.getByText("Client messages").waitFor({ timeout: 5_000 });
      assert.match(await opened.innerText(), /Switching Protocols/);
      assert.match(await opened.innerText(), /"action":"subscribe","pv":"SIM:m1.RBV"/);
      assert.deepEqual(problems, []);
      const outside = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith("data:"));
      assert.deepEqual(outside, []);
      assert.ok(requests.includes(`${origin}/openapi.json`));
    } finally {
      await browser.close();
    }
  });
});
