/**
 * Changes while connections are open: a token that expires ends its connection, a revoked key
 * ends its connections, and reloaded rules end the subscriptions that lost access (with a message
 * in each protocol's form) while the connections and the other subscriptions go on.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import { ApiKeyStore } from "../../src/security/api-keys.js";
import { startTestGateway } from "../helpers/gateway.js";
import { type Message, TestClient } from "../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const SECRET = "live-changes-secret-long-enough-for-hs256-signing";

const token = (seconds: number) =>
  new SignJWT({ scope: "read write" })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("alice")
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(new TextEncoder().encode(SECRET));

/** Connects with an API key the gateway may not have read from the store yet (it polls the file). */
async function connectOnceKnown(url: string, key: string): Promise<TestClient> {
  for (let i = 0; ; i++) {
    try {
      return await TestClient.connect(url, { headers: { Authorization: `Apikey ${key}` } });
    } catch (e) {
      if (i > 40) throw e;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe("credentials that stop being valid end their connections", () => {
  let gw: Gw;
  let store: ApiKeyStore;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "bg-live-"));
    store = ApiKeyStore.open(join(dir, "keys.json"));
    gw = await startTestGateway({
      security: { anonymous: "off", apiKeysFile: store.path, jwt: { secret: SECRET }, rules: "ALLOW ANY *" },
    });
  });
  after(() => gw.close());

  it("closes a stream with 4001 when its token expires, not only at the handshake", async () => {
    const expiresAt = (Math.floor(Date.now() / 1000) + 3) * 1000; // JWT expiry has one-second resolution
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`, {
      headers: { Authorization: `Bearer ${await token(3)}` },
    });
    c.send({ type: "subscribe", id: 1, topic: "sim://sine" });
    await c.next((m) => m.type === "data");
    const closed = await c.closed;
    assert.equal(closed.code, 4001);
    assert.match(closed.reason, /expired/i);
    assert.ok(Date.now() >= expiresAt - 50, "not before the expiry");
    assert.ok(Date.now() < expiresAt + 1500, "at the expiry, not later");
  });

  it("closes the connections of an API key when it is revoked, and only those", async () => {
    const doomed = store.create({ scopes: ["read"] });
    const kept = store.create({ scopes: ["read"] });
    const a = await connectOnceKnown(`${gw.wsUrl}/ws`, doomed.key);
    const b = await TestClient.connect(`${gw.wsUrl}/api/v1/pv-socket`, {
      headers: { Authorization: `Apikey ${doomed.key}` },
    });
    const c = await TestClient.connect(`${gw.wsUrl}/ws`, { headers: { Authorization: `Apikey ${kept.key}` } });
    ApiKeyStore.open(store.path).revoke(doomed.record.id); // as `beamgate keys revoke` would, from another process
    for (const client of [a, b]) {
      const closed = await client.closed;
      assert.equal(closed.code, 4001);
      assert.match(closed.reason, /revoked/);
    }
    c.send({ action: "list_subscriptions" });
    assert.equal((await c.next((m) => m.type === "subscriptions")).type, "subscriptions", "the other key goes on");
    c.ws.close();
  });
});

describe("rules reloaded while connections are open", () => {
  let gw: Gw;
  let rulesFile: string;
  const writeRules = (text: string) => writeFileSync(rulesFile, text);
  before(async () => {
    rulesFile = join(mkdtempSync(join(tmpdir(), "bg-rules-")), "rules.txt");
    writeRules("ALLOW READ *\nALLOW WRITE loc://*\n");
    gw = await startTestGateway({ security: { rulesFile } });
  });
  after(() => gw.close());

  it("ends only the subscriptions that lost access, in each protocol's form, on a file change", async () => {
    const native = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    native.send({ type: "subscribe", id: "secret", topic: "loc://secret(1)" });
    native.send({ type: "subscribe", id: "open", topic: "loc://open(1)" });
    await native.next((m) => m.type === "data" && m.id === "secret");
    await native.next((m) => m.type === "data" && m.id === "open");
    const pvApi = await TestClient.connect(`${gw.wsUrl}/ws`);
    pvApi.send({ action: "subscribe", pv_names: ["loc://secret(1)"] });
    await pvApi.next((m) => m.type === "subscribed");
    const ophyd = await TestClient.connect(`${gw.wsUrl}/api/v1/pv-socket`);
    ophyd.send({ action: "subscribe", pv: "loc://secret(1)" });
    await ophyd.next((m) => m.value !== undefined);

    writeRules("ALLOW READ *\nDENY READ loc://secret*\nALLOW WRITE loc://*\n");

    const ended = await native.next((m: Message) => m.type === "error" && m.id === "secret", 5000);
    assert.equal(ended.code, "BG_ERR_AUTH_FORBIDDEN");
    assert.match(ended.message, /withdrawn.*loc:\/\/secret/);
    assert.match((await pvApi.next((m) => m.type === "error", 5000)).message, /loc:\/\/secret.*withdrawn/);
    assert.match((await ophyd.next((m) => m.error !== undefined, 5000)).error, /withdrawn/);

    // The connections and the other subscription go on; the lost topic cannot be taken again.
    native.send({ type: "put", id: "p", topic: "loc://open", value: 7 });
    assert.equal((await native.next((m) => m.type === "put_result")).status, "done");
    assert.equal((await native.next((m) => m.type === "data" && m.id === "open" && m.value === 7)).value, 7);
    native.send({ type: "subscribe", id: "again", topic: "loc://secret" });
    assert.equal((await native.next((m) => m.id === "again")).code, "BG_ERR_AUTH_FORBIDDEN");
    for (const c of [native, pvApi, ophyd]) c.ws.close();
  });

  it("rereads the file on SIGHUP (guard.reload) and keeps the rules in force when the new file is bad", async () => {
    writeRules("ALLOW READ *\n");
    gw.guard.reload();
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    c.send({ type: "put", id: 1, topic: "loc://w", value: 1 });
    assert.equal((await c.next((m) => m.type === "put_result")).code, "BG_ERR_AUTH_FORBIDDEN");

    writeRules("ALLOW READ *\nALLOW WRITE loc://w\nALLOW SOMETIMES *\n");
    assert.throws(() => gw.guard.reload(), /rules\.txt:3/);
    c.send({ type: "put", id: 2, topic: "loc://w", value: 1 });
    assert.equal((await c.next((m) => m.type === "put_result")).code, "BG_ERR_AUTH_FORBIDDEN", "the old rules hold");

    writeRules("ALLOW READ *\nALLOW WRITE loc://w\n");
    gw.guard.reload();
    c.send({ type: "put", id: 3, topic: "loc://w", value: 1 });
    assert.equal((await c.next((m) => m.type === "put_result")).status, "done");
    c.ws.close();
  });
});
