/**
 * First-message authentication (Tiled's form) end to end: where credentials are required and the
 * handshake brought none, the upgrade succeeds and the first message must be
 * `{"type":"auth","api_key":...}` or `{"type":"auth","access_token":...}`, on every protocol.
 */
import assert from "node:assert/strict";
import { devNull } from "node:os";
import { after, before, describe, it } from "node:test";
import { encode } from "@msgpack/msgpack";
import { SignJWT } from "jose";
import { startTestGateway } from "../helpers/gateway.js";
import { RawClient } from "../helpers/raw-client.js";
import { closedWithin } from "../helpers/upgrade-refusal.js";
import { type Message, TestClient } from "../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const KEY = "k-123456";
const SECRET = "first-message-test-secret-of-32-bytes!";
const AUTH_TIMEOUT_MS = 300;
const NATIVE = "/api/v1/stream/multi";
const PV_SOCKET = "/api/v1/pv-socket";
const PV_API = "/ws";

function token(claims: Record<string, unknown>, secret = SECRET): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(secret));
}

const closed = (c: TestClient, withinMs?: number) => closedWithin(c.closed, withinMs);

describe("first-message authentication", { timeout: 20_000 }, () => {
  let gw: Gw;
  const clients: TestClient[] = [];

  before(async () => {
    gw = await startTestGateway({
      security: { anonymous: "off", apiKey: KEY, jwt: { secret: SECRET }, auditFile: devNull },
      limits: { authTimeoutMs: AUTH_TIMEOUT_MS },
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gw.close();
  });

  /** A connection without credentials: the upgrade itself must succeed. */
  async function open(path: string): Promise<TestClient> {
    const c = await TestClient.connect(`${gw.wsUrl}${path}`);
    clients.push(c);
    return c;
  }

  /** A connection whose first message is `first`, expected to be closed with `code` before anything is served. */
  async function refused(path: string, first: unknown, code: number): Promise<string> {
    const c = await open(path);
    c.send(first);
    c.send(path === NATIVE ? { type: "ping", id: "after" } : { action: "subscribe", pv: "loc://x" });
    const end = await closed(c);
    assert.equal(end.code, code, `${path} ${JSON.stringify(first)}: ${end.reason}`);
    assert.deepEqual(c.all, [], "nothing is served to a client that did not authenticate");
    return end.reason;
  }

  describe(`native protocol (${NATIVE})`, () => {
    it("upgrades without credentials, says nothing until the auth message, then acknowledges", async () => {
      const c = await open(NATIVE);
      assert.deepEqual(await c.collect(100), [], "no connection_ack before authentication");
      c.send({ type: "auth", api_key: KEY });
      const ack = await c.next((m) => m.type === "connection_ack");
      assert.equal(ack.server, "beamgate");
      c.send({ type: "ping", id: 1 });
      assert.deepEqual(await c.next((m) => m.type === "pong"), { type: "pong", id: 1 });
      await c.close();
    });

    it("answers messages sent right after the auth message, before its acknowledgement, in order", async () => {
      const c = await open(NATIVE);
      c.send({ type: "auth", api_key: KEY });
      c.send({ type: "subscribe", id: "s1", topic: "loc://first-message(5)" });
      c.send({ type: "ping", id: 2 });
      const data = await c.next((m) => m.id === "s1" && m.type === "data");
      assert.equal(data.value, 5);
      await c.next((m) => m.type === "pong" && m.id === 2);
      assert.equal(c.all[0].type, "connection_ack", "the acknowledgement comes first");
      assert.deepEqual(
        c.all.filter((m: Message) => m.type === "error"),
        [],
      );
      await c.close();
    });

    it("authenticates a binary (msgpack) auth message on a msgpack connection", async () => {
      const c = await TestClient.connect(`${gw.wsUrl}${NATIVE}?envelope_format=msgpack`);
      clients.push(c);
      c.send(Buffer.from(encode({ type: "auth", api_key: KEY })));
      const ack = await c.next((m) => m.binary && m.value.type === "connection_ack");
      assert.equal(ack.value.envelope_format, "msgpack");
      await c.close();
    });

    it("closes with 4003 on a wrong key, without quoting it", async () => {
      const reason = await refused(NATIVE, { type: "auth", api_key: "k-wrong-secret" }, 4003);
      assert.ok(!reason.includes("k-wrong-secret"), reason);
    });

    it("closes with 4003 on an auth message that carries no credential as a string", async () => {
      await refused(NATIVE, { type: "auth" }, 4003);
      await refused(NATIVE, { type: "auth", api_key: 123456 }, 4003);
      await refused(NATIVE, { type: "auth", api_key: "   " }, 4003);
    });

    it("closes with 4001 when the first message is not an auth message", async () => {
      await refused(NATIVE, { type: "subscribe", id: "s", topic: "loc://x" }, 4001);
      await refused(NATIVE, { type: "ping", id: 1, api_key: KEY }, 4001);
      await refused(NATIVE, "not json at all", 4001);
      await refused(NATIVE, "[]", 4001);
      await refused(NATIVE, "null", 4001);
    });

    it("closes with 4001 a client that sends nothing within authTimeoutMs", async () => {
      const started = performance.now();
      const c = await open(NATIVE);
      const end = await closed(c);
      const elapsed = performance.now() - started;
      assert.equal(end.code, 4001, end.reason);
      assert.ok(elapsed >= AUTH_TIMEOUT_MS - 50, `closed after ${elapsed.toFixed(0)} ms: too early`);
      assert.ok(elapsed < AUTH_TIMEOUT_MS + 1500, `closed after ${elapsed.toFixed(0)} ms: too late`);
      assert.deepEqual(c.all, []);
    });

    it("accepts a bearer token (JWT) as access_token, with the token's scopes", async () => {
      const c = await open(NATIVE);
      c.send({ type: "auth", access_token: await token({ sub: "alice" }) });
      await c.next((m) => m.type === "connection_ack");
      c.send({ type: "subscribe", id: "r", topic: "loc://jwt-read(3)" });
      assert.equal((await c.next((m) => m.id === "r" && m.type === "data")).value, 3);
      c.send({ type: "put", id: "w", topic: "loc://jwt-read", value: 4 });
      const put = await c.next((m) => m.id === "w" && m.type === "put_result");
      assert.equal(put.status, "refused", "the token has the default scopes: read only");
      assert.equal(put.code, "BG_ERR_AUTH_FORBIDDEN");
      await c.close();
    });

    it("closes with 4003 on a token signed with another secret", async () => {
      await refused(NATIVE, { type: "auth", access_token: await token({ sub: "mallory" }, `${SECRET}-other`) }, 4003);
    });

    it("closes with 4001 a client that floods messages before its authentication completes", async () => {
      const raw = await RawClient.connect(gw.address.port, NATIVE);
      const ended = new Promise<void>((resolve) => raw.socket.once("close", () => resolve()));
      // One write, so the server reads them all before the (asynchronous) check of the key ends.
      raw.socket.cork();
      raw.sendText(JSON.stringify({ type: "auth", api_key: KEY }));
      for (let i = 0; i < 40; i++) raw.sendText(JSON.stringify({ type: "ping", id: i }));
      raw.socket.uncork();
      await ended;
      assert.equal(raw.closeCode, 4001);
      assert.ok(!raw.messages.some((m) => m.includes("pong")), "none of the queued messages was served");
    });
  });

  describe(`ophyd pv-socket (${PV_SOCKET})`, () => {
    it("upgrades without credentials and serves after the auth message", async () => {
      const c = await open(PV_SOCKET);
      c.send({ type: "auth", api_key: KEY });
      c.send({ action: "subscribe", pv: "loc://pv-socket-auth(7)" });
      assert.deepEqual(await c.next((m) => m.message !== undefined), {
        message: "Subscribed to loc://pv-socket-auth(7)",
      });
      assert.equal((await c.next((m) => m.sub_type === undefined && m.value !== undefined)).value, 7);
      await c.close();
    });

    it("accepts a bearer token as access_token", async () => {
      const c = await open(PV_SOCKET);
      c.send({ type: "auth", access_token: await token({ sub: "bob" }) });
      c.send({ action: "subscribe", pv: "loc://pv-socket-jwt(1)" });
      assert.equal((await c.next((m) => m.message !== undefined)).message, "Subscribed to loc://pv-socket-jwt(1)");
      await c.close();
    });

    it("closes with 4003 on a wrong key, 4001 on another first message or none", async () => {
      await refused(PV_SOCKET, { type: "auth", api_key: "k-wrong" }, 4003);
      await refused(PV_SOCKET, { action: "subscribe", pv: "loc://x" }, 4001);
      await refused(PV_SOCKET, "{", 4001);
      const c = await open(PV_SOCKET);
      assert.equal((await closed(c)).code, 4001);
    });
  });

  describe(`PV API (${PV_API})`, () => {
    it("upgrades without credentials and serves after the auth message", async () => {
      const c = await open(PV_API);
      c.send({ type: "auth", api_key: KEY });
      c.send({ action: "subscribe", pv_names: ["loc://ws-auth(2)"] });
      const sub = await c.next((m) => m.type === "subscribed");
      assert.deepEqual(sub.pv_names, ["loc://ws-auth(2)"]);
      assert.equal(sub.initial_values["loc://ws-auth(2)"].value, 2);
      await c.close();
    });

    it("accepts a bearer token as access_token", async () => {
      const c = await open(PV_API);
      c.send({ type: "auth", access_token: await token({ sub: "carol" }) });
      c.send({ action: "subscribe", pv_names: ["loc://ws-jwt(4)"] });
      assert.equal((await c.next((m) => m.type === "subscribed")).initial_values["loc://ws-jwt(4)"].value, 4);
      await c.close();
    });

    it("closes with 4003 on a wrong key, 4001 on another first message or none", async () => {
      await refused(PV_API, { type: "auth", api_key: "k-wrong" }, 4003);
      await refused(PV_API, { action: "subscribe", pv_names: ["loc://x"] }, 4001);
      await refused(PV_API, "not json", 4001);
      const c = await open(PV_API);
      assert.equal((await closed(c)).code, 4001);
    });
  });

  it("releases every refused connection", async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (let i = 0; i < 50 && gw.server.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(gw.server.connectionCount, 0);
    assert.equal([...gw.guard.liveAccesses].length, 0, "no access left open");
  });
});
