import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ApiKeyStore, looksLikeApiKey } from "../../src/security/api-keys.js";

const KEY = /^bg_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** A store file in a folder of its own (so a test can see every file the store leaves). */
function storePath(): string {
  return join(mkdtempSync(join(tmpdir(), "beamgate-keys-")), "keys.json");
}

function secretOf(key: string): string {
  return (KEY.exec(key) as RegExpExecArray)[2] as string;
}

/** Asserts `verify(key)` fails with `code` and a message that quotes neither the key nor its secret. */
function refused(store: ApiKeyStore, key: string, code: string, message?: string): void {
  assert.throws(
    () => store.verify(key),
    (e: Error & { code: string }) => {
      assert.equal(e.code, code, JSON.stringify(key));
      if (message !== undefined) assert.equal(e.message, message);
      if (key.length > 3) assert.ok(!e.message.includes(key), e.message);
      const secret = KEY.exec(key)?.[2];
      if (secret) assert.ok(!e.message.includes(secret), e.message);
      return true;
    },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ApiKeyStore", () => {
  it("creates keys bg_<id>_<secret> that verify as the key's principal", () => {
    const path = storePath();
    const store = ApiKeyStore.open(path);
    const expiresAt = Date.now() + 3_600_000;
    const { key, record } = store.create({
      scopes: ["write", "read"],
      topics: ["ca://SIM:*"],
      expiresAt,
      note: "beamline laptop",
    });
    assert.match(key, KEY);
    assert.equal(KEY.exec(key)?.[1], record.id);
    assert.deepEqual(record.scopes, ["read", "write"], "in canonical order");
    assert.equal(record.note, "beamline laptop");
    assert.equal(record.revoked, null);
    const expected = {
      kind: "apikey",
      name: record.id,
      keyId: record.id,
      groups: [],
      scopes: ["read", "write"],
      topics: ["ca://SIM:*"],
      expiresAt,
    };
    assert.deepEqual(store.verify(key), expected);
    assert.deepEqual(ApiKeyStore.open(path).verify(key), expected, "saved to the file");
  });

  it("gives keys without topics or expiry a principal without them", () => {
    const store = ApiKeyStore.open(storePath());
    const { key, record } = store.create({ scopes: ["read"] });
    const principal = store.verify(key);
    assert.deepEqual(principal, { kind: "apikey", name: record.id, keyId: record.id, groups: [], scopes: ["read"] });
    assert.ok(!("topics" in principal) && !("expiresAt" in principal));
    assert.equal(record.expires, null);
  });

  it("refuses wrong secrets, unknown ids and malformed strings alike, never quoting the key", () => {
    const store = ApiKeyStore.open(storePath());
    const { key, record } = store.create({ scopes: ["read"] });
    const secret = secretOf(key);
    const flipped = `${secret.startsWith("A") ? "B" : "A"}${secret.slice(1)}`;
    const otherId = record.id.startsWith("0") ? `1${record.id.slice(1)}` : `0${record.id.slice(1)}`;
    const bad = [
      `bg_${record.id}_${flipped}`,
      `bg_${otherId}_${secret}`,
      `bg_${record.id}_${secretOf(store.create({ scopes: ["read"] }).key)}`,
      "",
      "bg_",
      `bg_${record.id}_`,
      `${key}A`,
      `${key}${"A".repeat(10_000)}`,
      key.slice(0, -1),
      `bg_${record.id}_${secret.slice(0, -1)}é`,
      `bg_${record.id.toUpperCase()}_${secret}`,
      ` ${key}`,
      `${key}\n`,
      `Apikey ${key}`,
      "eyJhbGciOiJIUzI1NiJ9.e30.sig",
    ];
    for (const text of bad) refused(store, text, "BG_ERR_AUTH_INVALID", "Invalid API key");
    assert.equal(store.verify(key).name, record.id, "the real key still works");
  });

  it("refuses revoked keys with BG_ERR_AUTH_REVOKED, only to holders of the secret", () => {
    const store = ApiKeyStore.open(storePath());
    const { key, record } = store.create({ scopes: ["read", "write"] });
    const other = store.create({ scopes: ["read"] });
    assert.equal(store.revoke(record.id), true);
    refused(store, key, "BG_ERR_AUTH_REVOKED");
    refused(store, `bg_${record.id}_${secretOf(other.key)}`, "BG_ERR_AUTH_INVALID");
    const revoked = store.list().find((k) => k.id === record.id)?.revoked;
    assert.ok(revoked && Math.abs(Date.parse(revoked) - Date.now()) < 60_000, String(revoked));
    assert.equal(store.revoke(record.id), true, "revoking twice is no error");
    assert.equal(store.list().find((k) => k.id === record.id)?.revoked, revoked, "and keeps the first time");
    assert.equal(store.revoke("000000000000"), false);
    assert.equal(store.verify(other.key).name, other.record.id, "other keys still work");
  });

  it("refuses expired keys with BG_ERR_AUTH_EXPIRED, only to holders of the secret", async () => {
    const store = ApiKeyStore.open(storePath());
    const { key, record } = store.create({ scopes: ["read"], expiresAt: Date.now() + 50 });
    assert.equal(store.verify(key).name, record.id);
    await sleep(80);
    refused(store, key, "BG_ERR_AUTH_EXPIRED");
    refused(store, `bg_${record.id}_${"A".repeat(43)}`, "BG_ERR_AUTH_INVALID");
  });

  it("validates new keys: known scopes, a non-empty topic list, a future expiry, a one-line note", () => {
    const store = ApiKeyStore.open(storePath());
    const cases = [
      { scopes: [] },
      { scopes: ["admin"] },
      { scopes: ["read", "Read"] },
      { scopes: ["read"], topics: [] },
      { scopes: ["read"], topics: [""] },
      { scopes: ["read"], expiresAt: Date.now() - 1 },
      { scopes: ["read"], expiresAt: Number.NaN },
      { scopes: ["read"], expiresAt: 1e20 },
      { scopes: ["read"], note: "two\nlines" },
    ];
    for (const spec of cases) {
      assert.throws(() => store.create(spec), { code: "BG_ERR_CONFIG_INVALID" }, JSON.stringify(spec));
    }
    assert.deepEqual(store.list(), [], "nothing saved");
  });

  it("stores only a hash: the file holds no secret, is private to its owner and is replaced whole", () => {
    const path = storePath();
    const store = ApiKeyStore.open(path);
    const a = store.create({ scopes: ["read"], note: "a" });
    const b = store.create({ scopes: ["read", "write"], topics: ["sim://*"] });
    store.revoke(a.record.id);
    const text = readFileSync(path, "utf8");
    for (const { key } of [a, b]) {
      assert.ok(!text.includes(secretOf(key)), "no secret in the file");
      assert.ok(!text.includes(key));
    }
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(path, "..")), ["keys.json"], "no temporary file left");
    const file = JSON.parse(text);
    assert.equal(file.version, 1);
    assert.deepEqual(
      file.keys.map((k: Record<string, unknown>) => Object.keys(k).sort()),
      [
        ["created", "expires", "hash", "id", "note", "revoked", "scopes"],
        ["created", "expires", "hash", "id", "note", "revoked", "scopes", "topics"],
      ],
    );
    assert.match(file.keys[0].hash, /^[0-9a-f]{64}$/);
    for (const info of store.list()) assert.ok(!("hash" in info));
  });

  it("reads a missing file as an empty store and names a corrupt file in its error", () => {
    const path = storePath();
    assert.deepEqual(ApiKeyStore.open(path).list(), []);
    const corrupt: Array<[string, RegExp]> = [
      ["{", /not valid JSON/],
      ["[]", /not a key store/],
      ['{"version":2,"keys":[]}', /version/],
      ['{"version":1,"keys":[{"id":"0123456789ab"}]}', /keys\.0\.hash/],
      ['{"version":1,"keys":[],"extra":1}', /not a key store/],
    ];
    for (const [text, expected] of corrupt) {
      writeFileSync(path, text);
      assert.throws(
        () => ApiKeyStore.open(path),
        (e: Error & { code: string }) =>
          e.code === "BG_ERR_CONFIG_FILE" && e.message.includes(path) && expected.test(e.message),
        text,
      );
    }
  });

  it("does not overwrite a corrupt file", () => {
    const path = storePath();
    const store = ApiKeyStore.open(path);
    store.create({ scopes: ["read"] });
    writeFileSync(path, "{ not json");
    assert.throws(() => store.create({ scopes: ["read"] }), { code: "BG_ERR_CONFIG_FILE" });
    assert.throws(() => store.revoke("000000000000"), { code: "BG_ERR_CONFIG_FILE" });
    assert.equal(readFileSync(path, "utf8"), "{ not json");
  });

  it("keeps keys another store saved to the same file in between", () => {
    const path = storePath();
    const first = ApiKeyStore.open(path);
    const second = ApiKeyStore.open(path);
    const a = first.create({ scopes: ["read"] });
    const b = second.create({ scopes: ["read"] });
    const c = first.create({ scopes: ["read"] });
    assert.deepEqual(
      ApiKeyStore.open(path)
        .list()
        .map((k) => k.id),
      [a.record.id, b.record.id, c.record.id],
    );
  });

  it("sees another store's revocation on reload, and keeps its keys when a reload fails", () => {
    const path = storePath();
    const gateway = ApiKeyStore.open(path);
    const { key, record } = gateway.create({ scopes: ["read"] });
    ApiKeyStore.open(path).revoke(record.id);
    assert.equal(gateway.verify(key).name, record.id, "not before the reload");
    gateway.reload();
    refused(gateway, key, "BG_ERR_AUTH_REVOKED");
    writeFileSync(path, "garbage");
    assert.throws(() => gateway.reload(), { code: "BG_ERR_CONFIG_FILE" });
    refused(gateway, key, "BG_ERR_AUTH_REVOKED");
  });

  it("watches the file: rereads it after another store's change, reports a bad one and keeps its keys", async () => {
    const path = storePath();
    const gateway = ApiKeyStore.open(path);
    const kept = gateway.create({ scopes: ["read"] });
    const { key, record } = gateway.create({ scopes: ["read"] });
    const events: string[] = [];
    let notify = () => {};
    const next = () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no change seen; events: ${events}`)), 5000);
        notify = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    const stop = gateway.watch(
      () => {
        events.push("change");
        notify();
      },
      (e) => {
        events.push(e.code);
        notify();
      },
    );
    try {
      let seen = next();
      ApiKeyStore.open(path).revoke(record.id);
      await seen;
      assert.deepEqual(events, ["change"]);
      refused(gateway, key, "BG_ERR_AUTH_REVOKED");

      seen = next();
      writeFileSync(path, "{ half a file");
      await seen;
      assert.deepEqual(events, ["change", "BG_ERR_CONFIG_FILE"]);
      assert.equal(gateway.verify(kept.key).name, kept.record.id, "the keys read before stay");
      refused(gateway, key, "BG_ERR_AUTH_REVOKED");
    } finally {
      stop();
    }
    writeFileSync(path, '{"version":1,"keys":[]}');
    await sleep(1200);
    assert.equal(events.length, 2, "nothing after stop");
    assert.equal(gateway.verify(kept.key).name, kept.record.id);
  });

  it("tells API keys from tokens by their prefix", () => {
    const { key } = ApiKeyStore.open(storePath()).create({ scopes: ["read"] });
    assert.equal(looksLikeApiKey(key), true);
    assert.equal(looksLikeApiKey("eyJhbGciOiJIUzI1NiJ9.e30.sig"), false);
    assert.equal(looksLikeApiKey(""), false);
  });
});
