/**
 * The defaults a quick start gets (loopback, no configuration), the audit log of writes, and the
 * promise that no credential ever reaches a log.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import { pino } from "pino";
import WebSocket from "ws";
import { ConfigSchema } from "../../src/config/schema.js";
import { type Gateway, startGateway } from "../../src/gateway.js";
import { ApiKeyStore } from "../../src/security/api-keys.js";
import { startTestGateway } from "../helpers/gateway.js";
import { TestClient } from "../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const put = async (c: TestClient, id: number, topic: string, value: unknown) => {
  c.send({ type: "put", id, topic, value });
  return c.next((m) => m.type === "put_result" && m.id === id, 5000);
};

describe("built-in defaults on loopback", () => {
  let gw: Gw;
  let audit: string;
  before(async () => {
    audit = join(mkdtempSync(join(tmpdir(), "bg-defaults-")), "audit.log");
    gw = await startTestGateway({ ca: { simIoc: "on", simIocPort: 0 }, security: { auditFile: audit } });
  });
  after(() => gw.close());

  it("lets anonymous clients read anything and write only simulated topics", async () => {
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    c.send({ type: "subscribe", id: "s", topic: "sim://sine" });
    await c.next((m) => m.type === "data" && m.id === "s");
    assert.equal((await put(c, 1, "loc://knob", 3)).status, "done");
    assert.equal((await put(c, 2, "SIM:m1", 1.5)).status, "done", "the in-process simulated IOC is simulated too");
    const real = await put(c, 3, "ca://SR:C01:KICKER", 1);
    assert.equal(real.status, "refused");
    assert.equal(real.code, "BG_ERR_AUTH_FORBIDDEN");
    assert.match(real.message, /write to ca:\/\/SR:C01:KICKER is not allowed for anonymous/);
    c.ws.close();
  });

  it("audits every write, allowed or not, as one JSON line without the whole value", async () => {
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    assert.equal((await put(c, 1, 'loc://audited("s")', "x".repeat(500))).status, "done");
    await put(c, 2, "ca://SR:C01:KICKER", 9);
    c.ws.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const lines = readFileSync(audit, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const allowed = lines.find((l) => l.topic === "loc://audited");
    assert.equal(allowed.result, "ok");
    assert.equal(allowed.principal, "anonymous");
    assert.equal(allowed.client, "127.0.0.1");
    assert.equal(allowed.endpoint, "/api/v1/stream/multi");
    assert.equal(allowed.action, "put");
    assert.ok(allowed.value.length < 200 && allowed.value.endsWith("(500 chars)"), "long values are cut");
    assert.ok(!Number.isNaN(Date.parse(allowed.time)));
    const refused = lines.find((l) => l.topic === "ca://SR:C01:KICKER" && l.value === 9);
    assert.equal(refused.result, "BG_ERR_AUTH_FORBIDDEN");
  });
});

describe("no credential reaches a log", () => {
  const SECRET = "never-logged-hs256-secret-0123456789abcdef";
  const lines: string[] = [];
  let gw: Gateway;
  let dir: string;
  let key: string;
  let token: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "bg-nolog-"));
    const store = ApiKeyStore.open(join(dir, "keys.json"));
    key = store.create({ scopes: ["read", "write"] }).key;
    token = await new SignJWT({ scope: "read write" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("bob")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(SECRET));
    const config = ConfigSchema.parse({
      port: 0,
      ca: { simIoc: "off" },
      dataDir: join(dir, "data"),
      telemetry: { demo: false },
      security: {
        anonymous: "off",
        apiKeysFile: store.path,
        apiKey: "single-configured-key-42",
        jwt: { secret: SECRET },
        rules: "ALLOW ANY *",
        auditFile: join(dir, "audit.log"),
      },
    });
    const log = pino({ level: "trace" }, { write: (line: string) => void lines.push(line) });
    gw = await startGateway(config, log);
  });
  after(() => gw.close());

  it("keeps keys and tokens out of the process log and the audit log, whatever the client sends", async () => {
    const ws = gw.url.replace(/^http/, "ws");
    const attempt = (path: string, options: WebSocket.ClientOptions, protocols?: string[], first?: unknown) =>
      new Promise<void>((resolve) => {
        const s = new WebSocket(`${ws}${path}`, protocols ?? [], options);
        s.on("open", () => {
          if (first !== undefined) s.send(JSON.stringify(first));
          s.send(JSON.stringify({ type: "put", id: 1, topic: "loc://p", value: 1 }));
          setTimeout(() => s.close(), 200);
        });
        s.on("error", () => resolve());
        s.on("unexpected-response", () => resolve());
        s.on("close", () => resolve());
      });
    const wrong = `${key.slice(0, -4)}AAAA`;
    await Promise.all([
      attempt("/api/v1/stream/multi", { headers: { Authorization: `Apikey ${key}` } }),
      attempt("/api/v1/stream/multi", { headers: { Authorization: `Apikey ${wrong}` } }),
      attempt("/api/v1/stream/multi", { headers: { Authorization: `Bearer ${token}` } }),
      attempt("/api/v1/stream/multi", { headers: { Authorization: `Bearer ${token}x` } }),
      attempt("/api/v1/stream/multi", { headers: { Authorization: "Apikey single-configured-key-42" } }),
      attempt(`/api/v1/stream/multi?access_token=${token}`, {}),
      attempt(`/ws?access_token=${token}`, {}),
      attempt("/api/v1/pv-socket", {}, ["beamgate", `beamgate.bearer.${token}`]),
      attempt("/api/v1/pv-socket", {}, [`beamgate.bearer.${key}`]),
      attempt("/api/v1/stream/multi", {}, undefined, { type: "auth", api_key: key }),
      attempt("/api/v1/stream/multi", {}, undefined, { type: "auth", access_token: `${token}y` }),
      fetch(`${gw.url}/api/v1/devices`, { headers: { Authorization: `Apikey ${wrong}` } }).then(() => undefined),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const audit = readFileSync(join(dir, "audit.log"), "utf8");
    assert.ok(lines.length > 0 && audit.length > 0, "something was logged and audited");
    // The key's secret is what follows `bg_<12 hex>_` (it may itself hold "_").
    const secrets = [key, wrong, key.slice("bg_".length + 12 + 1), token, token.split(".")[2] as string, SECRET];
    for (const text of [lines.join(""), audit]) {
      for (const secret of [...secrets, "single-configured-key-42"]) {
        assert.ok(!text.includes(secret), `a secret appears in a log: ${secret.slice(0, 6)}…`);
      }
    }
  });
});
