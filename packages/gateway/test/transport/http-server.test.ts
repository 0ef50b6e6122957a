/** Plain HTTP routes, upgrade refusals and graceful shutdown, over real sockets. */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { startTestGateway } from "../helpers/gateway.js";
import { RawClient } from "../helpers/raw-client.js";
import { TestClient } from "../helpers/ws-client.js";

function get(url: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request(url, { method: init.method ?? "GET", headers: init.headers ?? {} }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HTTP routes", () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  it("GET /health answers 200 with status ok", async () => {
    const r = await get(`${gw.url}/health`);
    assert.equal(r.status, 200);
    assert.equal(r.type, "application/json");
    const body = JSON.parse(r.body);
    assert.equal(body.status, "ok");
    assert.equal(typeof body.connections, "number");
  });

  it("GET / lists the WebSocket endpoints as JSON, or as HTML for browsers", async () => {
    const json = JSON.parse((await get(`${gw.url}/`)).body);
    assert.deepEqual(
      json.websockets.map((w: { path: string }) => w.path),
      [
        "/ws",
        "/api/v1/stream/multi",
        "/api/v1/pv-socket",
        "/api/v1/device-socket",
        "/api/v1/qs-console-socket",
        "/api/v1/camera-socket",
        "/rta/v2/sessions/*/stream",
        "/api/v1/stream/single/**",
      ],
    );
    assert.deepEqual(json.schemes, ["ca", "sim", "loc", "rta"]);
    const html = await get(`${gw.url}/`, { headers: { accept: "text/html" } });
    assert.match(html.type, /^text\/html/);
    assert.match(html.body, /\/api\/v1\/stream\/multi/);
  });

  it("answers unknown paths 404, other methods 405, and plain GETs of WebSocket paths 426", async () => {
    assert.equal((await get(`${gw.url}/nope`)).status, 404);
    assert.equal((await get(`${gw.url}/health`, { method: "POST" })).status, 405);
    assert.equal((await get(`${gw.url}/ws`)).status, 426);
  });

  it("answers malformed request targets with 400 and keeps serving", async () => {
    const { connect } = await import("node:net");
    for (const request of [
      "GET //[ HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET //[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ]) {
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(gw.address.port, "127.0.0.1", () => socket.write(request));
        let text = "";
        socket.on("data", (c) => {
          text += c;
        });
        socket.on("close", () => resolve(text));
        socket.on("error", () => resolve(text));
      });
      assert.match(answer, /^HTTP\/1\.1 400/);
    }
    assert.equal((await get(`${gw.url}/health`)).status, 200, "still serving");
  });

  it("refuses upgrades on paths that serve no WebSocket with 404", async () => {
    await assert.rejects(TestClient.connect(`${gw.wsUrl}/nope`), /HTTP 404/);
    await assert.rejects(RawClient.connect(gw.address.port, "/health"), /404/);
  });
});

describe("graceful shutdown", () => {
  it("closes every WebSocket with 1001 and stops the hub's topics", async () => {
    const gw = await startTestGateway();
    const a = await TestClient.connect(`${gw.wsUrl}/ws`);
    const b = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    b.send({ type: "subscribe", id: 1, topic: "sim://sine" });
    await b.next((m) => m.type === "data");
    const started = Date.now();
    await gw.close();
    assert.ok(Date.now() - started < 2000, "within 2 s");
    assert.equal((await a.closed).code, 1001);
    assert.equal((await b.closed).code, 1001);
    assert.equal(gw.hub.topicCount, 0);
  });

  it("does not wait for a peer that never answers the close", async () => {
    const gw = await startTestGateway({ limits: { closeGraceMs: 300 } });
    const raw = await RawClient.connect(gw.address.port, "/ws");
    raw.pause();
    const started = Date.now();
    await gw.close();
    assert.ok(Date.now() - started < 1500, `closed in ${Date.now() - started} ms`);
    raw.socket.destroy();
  });
});
