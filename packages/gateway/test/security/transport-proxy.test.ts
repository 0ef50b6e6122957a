/**
 * Trusted proxies end to end: behind a proxy every client comes from the proxy's address, so
 * the per-address connection limit and the same-origin check use the forwarded client and host,
 * but only when the proxy is trusted (`trustProxy`); anyone else's X-Forwarded-* headers are ignored.
 * (A trusted proxy needs authentication configured: a key is, and anonymous clients are served.)
 */
import assert from "node:assert/strict";
import { devNull } from "node:os";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { startTestGateway } from "../helpers/gateway.js";
import { TestClient } from "../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const NATIVE = "/api/v1/stream/multi";

/** The HTTP status an upgrade got: 101 when it was upgraded (then closed again). */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => {
      ws.close();
      resolve(101);
    });
    ws.once("unexpected-response", (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    ws.once("error", reject);
  });
}

/** Resolves once `condition` holds; fails after `ms`. */
async function until(condition: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function suite(trustProxy: string): { gw: () => Gw; clients: TestClient[] } {
  let gw: Gw;
  const clients: TestClient[] = [];
  before(async () => {
    gw = await startTestGateway({
      trustProxy,
      security: { anonymous: "on", apiKey: "k-123456", auditFile: devNull },
      limits: { maxConnectionsPerIp: 1 },
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gw.close();
  });
  return { gw: () => gw, clients };
}

const forwardedFor = (address: string) => ({ "x-forwarded-for": address });

describe("trusted proxies", { timeout: 20_000 }, () => {
  describe('trustProxy "loopback", maxConnectionsPerIp 1', () => {
    const { gw, clients } = suite("loopback");

    async function open(headers: Record<string, string>): Promise<TestClient> {
      const c = await TestClient.connect(`${gw().wsUrl}${NATIVE}`, { headers });
      clients.push(c);
      await c.next((m) => m.type === "connection_ack");
      return c;
    }

    it("counts connections by the forwarded client address", async () => {
      const a = await open(forwardedFor("198.51.100.1"));
      const b = await open(forwardedFor("198.51.100.2"));
      assert.deepEqual(
        [...gw().server.connections].map((c) => c.remoteAddress).sort(),
        ["198.51.100.1", "198.51.100.2"],
        "each connection knows its client's address",
      );
      assert.equal(await upgradeStatus(`${gw().wsUrl}${NATIVE}`, forwardedFor("198.51.100.1")), 429);
      assert.equal(
        await upgradeStatus(`${gw().wsUrl}${NATIVE}`, forwardedFor("203.0.113.50, 198.51.100.2")),
        429,
        "a forged address left of the real one changes nothing",
      );
      assert.equal(
        await upgradeStatus(`${gw().wsUrl}${NATIVE}`, forwardedFor("198.51.100.2, 127.0.0.1")),
        429,
        "a trusted proxy on the right of the chain is skipped",
      );
      await a.close();
      await until(() => gw().server.connectionCount === 1, "the server saw the close");
      const again = await open(forwardedFor("198.51.100.1"));
      await Promise.all([again, b].map((c) => c.close()));
      await until(() => gw().server.connectionCount === 0, "all closed");
    });

    it("counts a client that forwards nothing as the proxy's own address", async () => {
      const a = await open({});
      assert.equal([...gw().server.connections][0]?.remoteAddress, "127.0.0.1");
      assert.equal(await upgradeStatus(`${gw().wsUrl}${NATIVE}`, {}), 429);
      assert.equal(await upgradeStatus(`${gw().wsUrl}${NATIVE}`, forwardedFor("127.0.0.1")), 429);
      await a.close();
      await until(() => gw().server.connectionCount === 0, "closed");
    });

    it("judges same origin by the forwarded host", async () => {
      const page = "http://203.0.113.5:8080";
      const headers = { origin: page, ...forwardedFor("198.51.100.9") };
      assert.equal(await upgradeStatus(`${gw().wsUrl}${NATIVE}`, headers), 403, "not the host the client reached");
      const status = await upgradeStatus(`${gw().wsUrl}${NATIVE}`, {
        ...headers,
        "x-forwarded-host": "203.0.113.5:8080",
      });
      assert.equal(status, 101, "the page came from the host the proxy was reached at");
      await until(() => gw().server.connectionCount === 0, "closed");
    });
  });

  describe("no trustProxy, maxConnectionsPerIp 1", () => {
    const { gw, clients } = suite("");

    it("ignores X-Forwarded-For: every client is the peer's address", async () => {
      const a = await TestClient.connect(`${gw().wsUrl}${NATIVE}`, { headers: forwardedFor("198.51.100.1") });
      clients.push(a);
      await a.next((m) => m.type === "connection_ack");
      assert.equal([...gw().server.connections][0]?.remoteAddress, "127.0.0.1");
      for (const address of ["198.51.100.2", "198.51.100.1", "203.0.113.7, 198.51.100.3"]) {
        assert.equal(await upgradeStatus(`${gw().wsUrl}${NATIVE}`, forwardedFor(address)), 429, address);
      }
      assert.equal(await upgradeStatus(`${gw().wsUrl}${NATIVE}`, {}), 429);
      await a.close();
    });

    it("ignores X-Forwarded-Host in the same-origin check", async () => {
      const status = await upgradeStatus(`${gw().wsUrl}${NATIVE}`, {
        origin: "http://203.0.113.5:8080",
        "x-forwarded-host": "203.0.113.5:8080",
      });
      assert.equal(status, 403);
    });
  });

  describe("a proxy that is not trusted", () => {
    const { gw, clients } = suite("10.0.0.0/8");

    it("has its X-Forwarded-For ignored too (the loopback peer is not in 10.0.0.0/8)", async () => {
      const a = await TestClient.connect(`${gw().wsUrl}${NATIVE}`, { headers: forwardedFor("198.51.100.1") });
      clients.push(a);
      await a.next((m) => m.type === "connection_ack");
      assert.equal([...gw().server.connections][0]?.remoteAddress, "127.0.0.1");
      assert.equal(await upgradeStatus(`${gw().wsUrl}${NATIVE}`, forwardedFor("198.51.100.2")), 429);
      await a.close();
    });
  });
});
