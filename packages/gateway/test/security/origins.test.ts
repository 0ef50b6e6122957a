/** Browser origins: CORS on the REST routes and the Origin check of WebSocket upgrades, over real sockets. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { loadConfig } from "../../src/config/load.js";
import { parseOrigins } from "../../src/security/origins.js";
import { startTestGateway } from "../helpers/gateway.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

/** The HTTP status of a WebSocket upgrade sent with `origin` (101 when accepted). */
function upgradeStatus(url: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.once("open", () => {
      ws.terminate();
      resolve(101);
    });
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once("error", reject);
  });
}

describe("allowed origins", () => {
  let gw: Gw;
  before(async () => {
    gw = await startTestGateway({ allowedOrigins: "https://app.example.org, https://ops.example.org/" });
  });
  after(() => gw.close());

  it("reads OAS_ALLOWED_ORIGINS as ophyd-websocket does: a comma list or a JSON array", () => {
    assert.deepEqual(parseOrigins(" https://a.org , ,https://b.org"), ["https://a.org", "https://b.org"]);
    assert.deepEqual(parseOrigins('["https://a.org", "http://b.org:8080"]'), ["https://a.org", "http://b.org:8080"]);
    assert.deepEqual(parseOrigins(""), []);
    const config = loadConfig({ env: { OAS_ALLOWED_ORIGINS: '["https://a.org"]' } });
    assert.equal(config.allowedOrigins, '["https://a.org"]');
    assert.throws(() => loadConfig({ env: { OAS_ALLOWED_ORIGINS: "[not json" } }), /allowedOrigins/);
  });

  it("lets scripts, loopback pages, the gateway's own pages and listed origins open WebSockets; refuses others with 403", async () => {
    const url = `${gw.wsUrl}/api/v1/pv-socket`;
    assert.equal(await upgradeStatus(url, undefined), 101, "no Origin: not a browser");
    assert.equal(await upgradeStatus(url, "http://localhost:5173"), 101);
    assert.equal(await upgradeStatus(url, "http://127.0.0.1:3000"), 101);
    assert.equal(await upgradeStatus(url, gw.url), 101, "same origin");
    const rebound = await new Promise<number>((resolve, reject) => {
      // A page of a name rebound to this host (DNS rebinding) sends its own name as Origin and Host.
      const ws = new WebSocket(url, { origin: "http://evil.example:8001", headers: { host: "evil.example:8001" } });
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("open", () => {
        ws.terminate();
        resolve(101);
      });
      ws.once("error", reject);
    });
    assert.equal(rebound, 403, "same origin by name does not count");
    assert.equal(await upgradeStatus(url, "https://app.example.org"), 101);
    assert.equal(await upgradeStatus(url, "https://ops.example.org"), 101, "a trailing slash in the list is ignored");
    assert.equal(await upgradeStatus(url, "https://evil.example.com"), 403);
    assert.equal(await upgradeStatus(url, "null"), 403);
    assert.equal(await upgradeStatus(`${gw.wsUrl}/ws`, "https://evil.example.com"), 403, "every WebSocket path");
  });

  it("answers CORS for allowed origins, preflights included, and 403 for others", async () => {
    const allowed = await fetch(`${gw.url}/api/v1/devices`, { headers: { origin: "https://app.example.org" } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example.org");
    assert.equal(allowed.headers.get("vary"), "Origin");
    const preflight = await fetch(`${gw.url}/api/v1/devices`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.org",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "content-type",
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-methods"), "GET, PUT");
    assert.equal(preflight.headers.get("access-control-allow-headers"), "content-type");
    const refused = await fetch(`${gw.url}/api/v1/devices`, { headers: { origin: "https://evil.example.com" } });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get("access-control-allow-origin"), null);
    const plain = await fetch(`${gw.url}/api/v1/devices`);
    assert.equal(plain.headers.get("access-control-allow-origin"), null, "no Origin, no CORS headers");
  });

  it("allows any origin with `*`", async () => {
    const open = await startTestGateway({ allowedOrigins: "*" });
    try {
      assert.equal(await upgradeStatus(`${open.wsUrl}/ws`, "https://anywhere.example.net"), 101);
    } finally {
      await open.close();
    }
  });
});
