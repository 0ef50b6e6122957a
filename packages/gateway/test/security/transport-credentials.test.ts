/**
 * Credentials in the WebSocket handshake, end to end: the Authorization header (Apikey, Bearer),
 * a `beamgate.bearer.<secret>` subprotocol entry beside a real protocol name, and `?access_token=`
 * where it is taken. Refusals are plain HTTP before any upgrade: 401, a JSON body, a challenge.
 */
import assert from "node:assert/strict";
import { devNull } from "node:os";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { startTestGateway } from "../helpers/gateway.js";
import { type Refusal, upgradeRefusal } from "../helpers/upgrade-refusal.js";
import { TestClient } from "../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const KEY = "k-123456";
const NATIVE = "/api/v1/stream/multi";
const PV_SOCKET = "/api/v1/pv-socket";
const PV_API = "/ws";

const refusal = upgradeRefusal;

/** Checks a 401: the challenge, a JSON body with the code, and no secret quoted back. */
function assertUnauthorized(r: Refusal, code: string, secret?: string): void {
  assert.equal(r.status, 401, r.body);
  assert.match(String(r.headers["www-authenticate"]), /^Bearer realm="beamgate", Apikey realm="beamgate"$/);
  assert.equal(r.headers["content-type"], "application/json");
  const body = JSON.parse(r.body);
  assert.equal(body.code, code);
  assert.equal(typeof body.detail, "string");
  if (secret !== undefined) assert.ok(!r.body.includes(secret), `the refusal quotes the secret: ${r.body}`);
}

describe("credentials in the handshake", { timeout: 20_000 }, () => {
  let gw: Gw;
  const clients: TestClient[] = [];

  before(async () => {
    gw = await startTestGateway({ security: { anonymous: "off", apiKey: KEY, auditFile: devNull } });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gw.close();
  });

  async function connect(path: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const c = await TestClient.connect(`${gw.wsUrl}${path}`, options);
    clients.push(c);
    return c;
  }

  /** A native connection that is served at once: its connection_ack comes with no auth message. */
  async function servedAtOnce(c: TestClient): Promise<void> {
    const ack = await c.next((m) => m.type === "connection_ack", 2000);
    assert.equal(ack.server, "beamgate");
    await c.close();
  }

  it("takes `Authorization: Apikey <key>`", async () => {
    await servedAtOnce(await connect(NATIVE, { headers: { authorization: `Apikey ${KEY}` } }));
  });

  it("takes `Authorization: Bearer <key>`, schemes in any case", async () => {
    await servedAtOnce(await connect(NATIVE, { headers: { authorization: `Bearer ${KEY}` } }));
    await servedAtOnce(await connect(NATIVE, { headers: { authorization: `apikey ${KEY}` } }));
  });

  it("refuses a wrong key in the header with 401 before the upgrade", async () => {
    for (const authorization of ["Apikey k-wrong-secret", "Bearer k-wrong-secret"]) {
      const r = await refusal(`${gw.wsUrl}${NATIVE}`, [], { authorization });
      assertUnauthorized(r, "BG_ERR_AUTH_INVALID", "k-wrong-secret");
    }
  });

  it("refuses an unknown Authorization scheme with 401, on every endpoint", async () => {
    for (const path of [NATIVE, PV_SOCKET, PV_API]) {
      const basic = `Basic ${Buffer.from(`user:${KEY}`).toString("base64")}`;
      assertUnauthorized(await refusal(`${gw.wsUrl}${path}`, [], { authorization: basic }), "BG_ERR_AUTH_INVALID");
      assertUnauthorized(await refusal(`${gw.wsUrl}${path}`, [], { authorization: KEY }), "BG_ERR_AUTH_INVALID");
    }
  });

  describe("a beamgate.bearer subprotocol entry", () => {
    interface Opened {
      readonly ws: WebSocket;
      /** The Sec-WebSocket-Protocol header the server answered. */
      readonly answered: string | undefined;
      /** The next message (JSON), from the first one on. */
      next(): Promise<Record<string, unknown>>;
    }

    /** Opens with `protocols` (TestClient offers none); messages are kept from the first one. */
    function withProtocols(path: string, protocols: string[]): Promise<Opened> {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(`${gw.wsUrl}${path}`, protocols);
        const inbox: Record<string, unknown>[] = [];
        const waiting: ((m: Record<string, unknown>) => void)[] = [];
        ws.on("message", (data) => {
          const m = JSON.parse(String(data));
          const w = waiting.shift();
          if (w) w(m);
          else inbox.push(m);
        });
        const next = () =>
          new Promise<Record<string, unknown>>((res, rej) => {
            const m = inbox.shift();
            if (m) return res(m);
            const timer = setTimeout(() => rej(new Error("no message within 2 s")), 2000);
            waiting.push((got) => {
              clearTimeout(timer);
              res(got);
            });
          });
        let answered: string | undefined;
        ws.once("upgrade", (res) => {
          answered = res.headers["sec-websocket-protocol"];
        });
        ws.once("open", () => resolve({ ws, answered, next }));
        ws.once("error", reject);
        ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      });
    }

    it("authenticates and echoes the real protocol name, never the credential entry", async () => {
      for (const protocols of [
        ["beamgate", `beamgate.bearer.${KEY}`],
        [`beamgate.bearer.${KEY}`, "beamgate"],
      ]) {
        const opened = await withProtocols(NATIVE, protocols);
        const { ws } = opened;
        assert.equal(ws.protocol, "beamgate");
        assert.equal(opened.answered, "beamgate", "the answered header holds only the protocol name");
        assert.equal((await opened.next()).type, "connection_ack", "served at once: the entry authenticated it");
        ws.close();
      }
    });

    it("works on the other endpoints too (not only where access_token is taken)", async () => {
      for (const path of [PV_SOCKET, PV_API]) {
        const { ws, next } = await withProtocols(path, ["beamgate", `beamgate.bearer.${KEY}`]);
        assert.equal(ws.protocol, "beamgate");
        ws.send(JSON.stringify({ action: "subscribe", pv: "loc://sp(1)", pv_names: ["loc://sp(1)"] }));
        const first = await next();
        assert.ok(first.message === "Subscribed to loc://sp(1)" || first.type === "subscribed", JSON.stringify(first));
        ws.close();
      }
    });

    it("refuses with 401 a credential entry offered without a real protocol name", async () => {
      const r = await refusal(`${gw.wsUrl}${NATIVE}`, [`beamgate.bearer.${KEY}`]);
      assertUnauthorized(r, "BG_ERR_AUTH_INVALID", KEY);
      assert.match(JSON.parse(r.body).detail, /protocol name/);
    });

    it("refuses with 401 a wrong secret in the entry", async () => {
      const r = await refusal(`${gw.wsUrl}${NATIVE}`, ["beamgate", "beamgate.bearer.k-wrong-secret"]);
      assertUnauthorized(r, "BG_ERR_AUTH_INVALID", "k-wrong-secret");
    });

    it("leaves a client that offers only a protocol name to authenticate by its first message", async () => {
      const { ws, next } = await withProtocols(NATIVE, ["beamgate"]);
      assert.equal(ws.protocol, "beamgate");
      ws.send(JSON.stringify({ type: "auth", api_key: KEY }));
      assert.equal((await next()).type, "connection_ack");
      ws.close();
    });
  });

  describe("?access_token=", () => {
    it(`is taken on ${NATIVE}`, async () => {
      await servedAtOnce(await connect(`${NATIVE}?access_token=${KEY}`));
      await servedAtOnce(await connect(`${NATIVE}?envelope_format=json&access_token=${encodeURIComponent(KEY)}`));
    });

    it(`refuses a wrong one on ${NATIVE} with 401`, async () => {
      assertUnauthorized(await refusal(`${gw.wsUrl}${NATIVE}?access_token=k-wrong-secret`), "BG_ERR_AUTH_INVALID");
    });

    it(`is refused (401) on ${PV_API} and ${PV_SOCKET}, even with the right key`, async () => {
      for (const path of [PV_API, PV_SOCKET]) {
        const r = await refusal(`${gw.wsUrl}${path}?access_token=${KEY}`);
        assertUnauthorized(r, "BG_ERR_AUTH_INVALID", KEY);
        assert.match(JSON.parse(r.body).detail, /access_token in the URL is not accepted here/);
      }
    });

    it(`is refused (401) on ${PV_API} even beside valid credentials in the header`, async () => {
      const r = await refusal(`${gw.wsUrl}${PV_API}?access_token=${KEY}`, [], { authorization: `Apikey ${KEY}` });
      assertUnauthorized(r, "BG_ERR_AUTH_INVALID");
    });
  });

  it("leaves nothing open after the refusals", async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (let i = 0; i < 50 && gw.server.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(gw.server.connectionCount, 0);
    assert.equal([...gw.guard.liveAccesses].length, 0);
  });
});
