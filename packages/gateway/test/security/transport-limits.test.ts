/**
 * Transport limits end to end: the inbound message rate of a connection, WebSocket connections per
 * client address and per principal, and the time a client has to send its request headers.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { devNull } from "node:os";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { startTestGateway } from "../helpers/gateway.js";
import { closedWithin, upgradeRefusal } from "../helpers/upgrade-refusal.js";
import { type Message, TestClient } from "../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const KEY = "k-123456";
const NATIVE = "/api/v1/stream/multi";

async function refusal(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Message }> {
  const r = await upgradeRefusal(url, [], headers);
  return { status: r.status, body: JSON.parse(r.body) };
}

/** Sends `request` on a raw TCP socket and returns everything answered until the server closes. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    let text = "";
    socket.setEncoding("utf8").on("data", (c: string) => {
      text += c;
    });
    socket.on("close", () => resolve(text));
    socket.on("error", () => resolve(text));
  });
}

/** An upgrade request ws refuses itself (400): it has no Sec-WebSocket-Key. */
const keylessUpgrade = (path: string, extra = "") =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Version: 13\r\n${extra}\r\n`;

/** Resolves once `condition` holds; fails after `ms`. */
async function until(condition: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const closed = (c: TestClient, withinMs?: number) => closedWithin(c.closed, withinMs);

describe("transport limits", { timeout: 20_000 }, () => {
  describe("messages per second (messagesPerSecond 5, messageBurst 5)", () => {
    let gw: Gw;
    before(async () => {
      gw = await startTestGateway({ limits: { messagesPerSecond: 5, messageBurst: 5 } });
    });
    after(() => gw.close());

    async function native(): Promise<TestClient> {
      const c = await TestClient.connect(`${gw.wsUrl}${NATIVE}`);
      await c.next((m) => m.type === "connection_ack");
      return c;
    }

    it("serves the burst, refuses the rest with BG_ERR_LIMIT_RATE, and closes a client that goes on with 1008", async () => {
      const c = await native();
      const other = await native();
      for (let i = 1; i <= 8; i++) c.send({ type: "ping", id: i });
      const answers: Message[] = [];
      for (let i = 0; i < 8; i++) answers.push(await c.next());
      assert.deepEqual(
        answers.filter((m) => m.type === "pong").map((m) => m.id),
        [1, 2, 3, 4, 5],
      );
      const refused = answers.filter((m) => m.type === "error");
      assert.equal(refused.length, 3, JSON.stringify(answers));
      for (const e of refused) {
        assert.equal(e.code, "BG_ERR_LIMIT_RATE");
        assert.match(e.message, /At most 5 messages per second/);
      }
      assert.equal(c.ws.readyState, WebSocket.OPEN, "a few refused messages do not close the connection");

      other.send({ type: "ping", id: "other" });
      assert.equal((await other.next((m) => m.type === "pong")).id, "other", "the limit is per connection");

      for (let i = 0; i < 20; i++) c.send({ type: "ping", id: 100 + i });
      const end = await closed(c);
      assert.equal(end.code, 1008, end.reason);
      assert.match(end.reason, /messages per second/);
      await other.close();
    });

    it("gives the tokens back over time", async () => {
      const c = await native();
      // Sent at once, so read at once: no token comes back between them.
      for (let i = 1; i <= 6; i++) c.send({ type: "ping", id: i });
      for (let i = 1; i <= 5; i++) assert.deepEqual(await c.next(), { type: "pong", id: i });
      assert.equal((await c.next()).code, "BG_ERR_LIMIT_RATE");
      await new Promise((r) => setTimeout(r, 450)); // 5 per second: two tokens back
      c.send({ type: "ping", id: "a" });
      c.send({ type: "ping", id: "b" });
      assert.deepEqual(await c.next(), { type: "pong", id: "a" });
      assert.deepEqual(await c.next(), { type: "pong", id: "b" });
      await c.close();
    });
  });

  describe("connections per client address (maxConnectionsPerIp 2)", () => {
    let gw: Gw;
    const clients: TestClient[] = [];
    before(async () => {
      gw = await startTestGateway({ limits: { maxConnectionsPerIp: 2 } });
    });
    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await gw.close();
    });

    async function open(path: string): Promise<TestClient> {
      const c = await TestClient.connect(`${gw.wsUrl}${path}`);
      clients.push(c);
      return c;
    }

    it("refuses the third concurrent upgrade with 429, across endpoints, and takes one again after a close", async () => {
      const a = await open(NATIVE);
      await open("/ws");
      for (const path of [NATIVE, "/ws", "/api/v1/pv-socket"]) {
        const r = await refusal(`${gw.wsUrl}${path}`);
        assert.equal(r.status, 429, path);
        assert.equal(r.body.code, "BG_ERR_LIMIT_CONNECTIONS");
        assert.match(r.body.detail, /At most 2 connections per client address/);
      }
      assert.equal(gw.server.connectionCount, 2, "the refusals took no place");
      const health = await fetch(`${gw.url}/health`);
      assert.equal(health.status, 200, "plain HTTP requests are not WebSocket connections");

      await a.close();
      await until(() => gw.server.connectionCount === 1, "the server saw the close");
      const again = await open(NATIVE);
      await again.next((m) => m.type === "connection_ack");
      assert.equal((await refusal(`${gw.wsUrl}${NATIVE}`)).status, 429, "full again");
      await Promise.all(clients.map((c) => c.close()));
      await until(() => gw.server.connectionCount === 0, "all closed");
    });

    it("gives the place back when an upgrade is refused for its handshake", async () => {
      for (let i = 0; i < 3; i++) {
        assert.match(await rawExchange(gw.address.port, keylessUpgrade(NATIVE)), /^HTTP\/1\.1 400/);
      }
      const c = await open(NATIVE);
      await c.next((m) => m.type === "connection_ack");
      await c.close();
    });
  });

  describe("connections per principal (maxConnectionsPerPrincipal 1)", () => {
    let gw: Gw;
    const clients: TestClient[] = [];
    const keyed = { headers: { authorization: `Apikey ${KEY}` } };
    before(async () => {
      gw = await startTestGateway({
        security: { anonymous: "on", apiKey: KEY, auditFile: devNull },
        limits: { maxConnectionsPerPrincipal: 1 },
      });
    });
    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await gw.close();
    });

    async function open(options: WebSocket.ClientOptions = {}): Promise<TestClient> {
      const c = await TestClient.connect(`${gw.wsUrl}${NATIVE}`, options);
      clients.push(c);
      await c.next((m) => m.type === "connection_ack");
      return c;
    }

    it("refuses a second connection with the same key (429), however the key is sent", async () => {
      const first = await open(keyed);
      const header = await refusal(`${gw.wsUrl}${NATIVE}`, keyed.headers);
      assert.equal(header.status, 429);
      assert.equal(header.body.code, "BG_ERR_LIMIT_CONNECTIONS");
      assert.match(header.body.detail, /At most 1 connections per user or API key/);
      assert.equal((await refusal(`${gw.wsUrl}${NATIVE}?access_token=${KEY}`)).status, 429);
      await first.close();
    });

    it("does not count anonymous clients per principal", async () => {
      const first = await open(keyed);
      const anonymous = [await open(), await open(), await open()];
      for (const c of anonymous) {
        c.send({ type: "ping", id: "anon" });
        await c.next((m) => m.type === "pong");
      }
      assert.equal((await refusal(`${gw.wsUrl}${NATIVE}`, keyed.headers)).status, 429, "the key is still at its limit");
      await Promise.all([first, ...anonymous].map((c) => c.close()));
    });

    it("takes the key again once its connection closed", async () => {
      const first = await open(keyed);
      await first.close();
      await until(() => [...gw.guard.liveAccesses].every((a) => a.principal.kind === "anonymous"), "released");
      const second = await open(keyed);
      await second.close();
    });

    it("gives the key's place back when its upgrade is refused for its handshake", async () => {
      const answer = await rawExchange(gw.address.port, keylessUpgrade(NATIVE, `Authorization: Apikey ${KEY}\r\n`));
      assert.match(answer, /^HTTP\/1\.1 400/);
      await until(() => [...gw.guard.liveAccesses].length === 0, "no access left open", 500);
      const c = await open(keyed);
      await c.close();
    });

    it("closes with 1008 a connection whose auth message names a key at its limit", async () => {
      const strict = await startTestGateway({
        security: { anonymous: "off", apiKey: KEY, auditFile: devNull },
        limits: { maxConnectionsPerPrincipal: 1 },
      });
      try {
        const first = await TestClient.connect(`${strict.wsUrl}${NATIVE}`, keyed);
        await first.next((m) => m.type === "connection_ack");
        const second = await TestClient.connect(`${strict.wsUrl}${NATIVE}`);
        second.send({ type: "auth", api_key: KEY });
        const end = await closed(second);
        assert.equal(end.code, 1008, end.reason);
        assert.deepEqual(second.all, [], "never acknowledged");
        await first.close();
      } finally {
        await strict.close();
      }
    });
  });

  describe("handshake timeout (handshakeTimeoutMs 500)", () => {
    let gw: Gw;
    before(async () => {
      gw = await startTestGateway({ limits: { handshakeTimeoutMs: 500 } });
    });
    after(() => gw.close());

    it("disconnects a client that sends part of a request line and nothing more", async () => {
      const started = performance.now();
      const outcome = await new Promise<{ ms: number; answer: string }>((resolve, reject) => {
        const socket = connect(gw.address.port, "127.0.0.1", () => socket.write("GET /api/v1/stream/mu"));
        let answer = "";
        socket.setEncoding("utf8").on("data", (c: string) => {
          answer += c;
        });
        socket.on("close", () => resolve({ ms: performance.now() - started, answer }));
        socket.on("error", () => undefined); // a reset still ends in "close"
        const guard = setTimeout(() => {
          socket.destroy();
          reject(new Error("still connected after 4 s"));
        }, 4000);
        socket.on("close", () => clearTimeout(guard));
      });
      assert.ok(outcome.ms >= 400, `disconnected after ${outcome.ms.toFixed(0)} ms: before the timeout`);
      assert.ok(outcome.ms < 3000, `disconnected after ${outcome.ms.toFixed(0)} ms`);
      assert.doesNotMatch(outcome.answer, /^HTTP\/1\.1 101/);
    });

    it("leaves an upgraded connection alone however long it is idle", async () => {
      const c = await TestClient.connect(`${gw.wsUrl}${NATIVE}`);
      await c.next((m) => m.type === "connection_ack");
      await new Promise((r) => setTimeout(r, 1200));
      c.send({ type: "ping", id: "still here" });
      assert.deepEqual(await c.next((m) => m.type === "pong"), { type: "pong", id: "still here" });
      await c.close();
    });
  });
});
