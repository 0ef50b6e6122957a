/** `beamgate keys` as an operator runs it: a real process on a temporary key store. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ApiKeyStore } from "../../src/security/api-keys.js";
import { runBeamgate } from "../helpers/cli.js";

const DAY_MS = 86_400_000;

async function keys(args: string[], env: Record<string, string> = {}) {
  const p = runBeamgate(["keys", ...args], env);
  return { code: await p.exited, out: p.out(), err: p.err() };
}

function storePath(): string {
  return join(mkdtempSync(join(tmpdir(), "beamgate-keys-cli-")), "keys.json");
}

/** Creates a key with `args`; returns it and its id, as printed. */
async function created(store: string, args: string[] = []) {
  const r = await keys(["create", "--store", store, ...args]);
  assert.equal(r.code, 0, r.err);
  const [key, ...rest] = r.out.split("\n");
  const id = /^bg_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(key as string)?.[1];
  assert.ok(id, r.out);
  return { key: key as string, id, rest: rest.join("\n") };
}

describe("beamgate keys", () => {
  it("prints its help, and is listed by beamgate --help", async () => {
    const help = await keys(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.out, /--scope LIST/);
    assert.match(help.out, /BEAMGATE_SECURITY_API_KEYS_FILE/);
    assert.match((await keys(["create", "-h"])).out, /--expires WHEN/);
    const main = runBeamgate(["--help"]);
    assert.equal(await main.exited, 0);
    assert.match(main.out(), /beamgate keys COMMAND/);
  });

  it("creates a key, prints it once with its id, and the store verifies it", async () => {
    const store = storePath();
    const before = Date.now();
    const { key, id, rest } = await created(store, [
      "--scope",
      "read,write",
      "--topic",
      "ca://SIM:*",
      "--topic",
      "sim://*",
      "--expires",
      "30d",
      "--note",
      "beamline laptop",
    ]);
    assert.match(rest, /will not be shown again/);
    assert.ok(rest.includes(id));
    assert.ok(!rest.includes(key.slice(16)), "the secret appears once");
    const principal = ApiKeyStore.open(store).verify(key);
    assert.deepEqual(principal.scopes, ["read", "write"]);
    assert.deepEqual(principal.topics, ["ca://SIM:*", "sim://*"]);
    const expiresAt = principal.expiresAt as number;
    assert.ok(expiresAt >= before + 30 * DAY_MS && expiresAt <= Date.now() + 30 * DAY_MS, String(expiresAt));
    assert.ok(!readFileSync(store, "utf8").includes(key.slice(16)), "the file holds no secret");
  });

  it("creates read-only keys that never expire by default; takes an ISO date or hours for --expires", async () => {
    const store = storePath();
    const plain = await created(store);
    const principal = ApiKeyStore.open(store).verify(plain.key);
    assert.deepEqual(principal.scopes, ["read"]);
    assert.equal(principal.expiresAt, undefined);
    assert.equal(principal.topics, undefined);
    const dated = await created(store, ["--expires", "2999-01-31"]);
    assert.equal(ApiKeyStore.open(store).verify(dated.key).expiresAt, Date.UTC(2999, 0, 31));
    const hours = await created(store, ["--expires", "12h"]);
    const left = (ApiKeyStore.open(store).verify(hours.key).expiresAt as number) - Date.now();
    assert.ok(left > 11.9 * 3_600_000 && left <= 12 * 3_600_000, String(left));
  });

  it("lists keys as a table and as JSON, never with hashes or secrets", async () => {
    const store = storePath();
    const empty = await keys(["list", "--store", store]);
    assert.equal(empty.code, 0);
    assert.match(empty.out, /No API keys/);
    const a = await created(store, ["--scope", "read,write", "--topic", "ca://SIM:*", "--note", "ops console"]);
    const b = await created(store, ["--expires", "2999-01-31"]);
    const hashes = JSON.parse(readFileSync(store, "utf8")).keys.map((k: { hash: string }) => k.hash);

    const table = await keys(["list", "--store", store]);
    assert.equal(table.code, 0, table.err);
    const lines = table.out.trimEnd().split("\n");
    assert.match(lines[0] as string, /^ID\s+SCOPES\s+TOPICS\s+EXPIRES\s+REVOKED\s+NOTE$/);
    assert.match(
      lines[1] as string,
      new RegExp(`^${a.id}\\s+read,write\\s+ca://SIM:\\*\\s+never\\s+-\\s+ops console$`),
    );
    assert.match(lines[2] as string, new RegExp(`^${b.id}\\s+read\\s+any\\s+2999-01-31T00:00:00.000Z\\s+-$`));

    const json = await keys(["list", "--store", store, "--json"]);
    assert.equal(json.code, 0, json.err);
    const records = JSON.parse(json.out);
    assert.deepEqual(
      records.map((k: { id: string }) => k.id),
      [a.id, b.id],
    );
    assert.ok(records.every((k: object) => !("hash" in k)));
    for (const out of [table.out, json.out]) {
      for (const hash of hashes) assert.ok(!out.includes(hash), "no hash");
      for (const { key } of [a, b]) assert.ok(!out.includes(key.slice(16)), "no secret");
    }
  });

  it("revokes a key by id; an unknown id is an error", async () => {
    const store = storePath();
    const { key, id } = await created(store);
    const revoked = await keys(["revoke", id, "--store", store]);
    assert.equal(revoked.code, 0, revoked.err);
    assert.match(revoked.out, new RegExp(`Revoked key ${id}`));
    assert.throws(() => ApiKeyStore.open(store).verify(key), { code: "BG_ERR_AUTH_REVOKED" });
    const list = await keys(["list", "--store", store]);
    assert.match(list.out, new RegExp(`^${id}\\s+read\\s+any\\s+never\\s+\\d{4}-\\d\\d-\\d\\dT`, "m"));
    const again = await keys(["revoke", id, "--store", store]);
    assert.equal(again.code, 0);
    assert.match(again.out, /revoked already/);

    const unknown = await keys(["revoke", "0123456789ab", "--store", store]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /^beamgate: no API key with id '0123456789ab' in /);
  });

  it("finds the store in the configuration file or BEAMGATE_SECURITY_API_KEYS_FILE", async () => {
    const store = storePath();
    const { id } = await created(store);
    const fromEnv = await keys(["list"], { BEAMGATE_SECURITY_API_KEYS_FILE: store });
    assert.equal(fromEnv.code, 0, fromEnv.err);
    assert.ok(fromEnv.out.includes(id));
    const config = join(store, "..", "beamgate.yaml");
    writeFileSync(config, `security:\n  apiKeysFile: ${JSON.stringify(store)}\n`);
    const fromFile = await keys(["list", "--config", config]);
    assert.equal(fromFile.code, 0, fromFile.err);
    assert.ok(fromFile.out.includes(id));
    const fromConfigEnv = await keys(["create"], { BEAMGATE_CONFIG: config });
    assert.equal(fromConfigEnv.code, 0, fromConfigEnv.err);
    assert.equal(ApiKeyStore.open(store).list().length, 2);
  });

  it("stops on usage errors, a missing store and a corrupt one with one clear line", async () => {
    const store = storePath();
    const { key } = await created(store);
    const corrupt = join(store, "..", "corrupt.json");
    writeFileSync(corrupt, "{");
    const cases: Array<[string[], RegExp]> = [
      [["bogus"], /^beamgate: unknown keys command 'bogus' \(try 'beamgate keys --help'\)$/],
      [["list"], /^beamgate: no key store: give --store FILE, or set security.apiKeysFile/],
      [["create", "--store", store, "--bogus"], /^beamgate: Unknown option '--bogus'/],
      [["create", "--store", store, "--scope", "admin"], /^beamgate: unknown scope 'admin'/],
      [["create", "--store", store, "--expires", "soon"], /^beamgate: --expires must be a duration/],
      [["create", "--store", store, "--expires", "2001-01-01"], /^beamgate: .*expiry must be/],
      [["list", "--store", store, "extra"], /^beamgate: .*positional/i],
      [["revoke", "--store", store], /^beamgate: revoke takes one key id/],
      [["revoke", key, "--store", store], /^beamgate: give the key's id/],
      [["list", "--store", corrupt], /^beamgate: API key file .*corrupt\.json is not valid JSON/],
    ];
    for (const [args, expected] of cases) {
      const r = await keys(args);
      assert.equal(r.code, 2, args.join(" "));
      const lines = r.err.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.err);
      assert.match(lines[0] as string, expected);
      assert.ok(!r.err.includes(key.slice(16)), "no secret in errors");
    }
    assert.equal(ApiKeyStore.open(store).list().length, 1, "nothing created by the failed commands");
  });

  it("writes key creation and revocation to the audit log, without the key", async () => {
    const store = storePath();
    const auditFile = join(store, "..", "audit.log");
    const env = { BEAMGATE_SECURITY_AUDIT_FILE: auditFile };
    const r = await keys(["create", "--store", store, "--scope", "read,write"], env);
    assert.equal(r.code, 0, r.err);
    const [key] = r.out.split("\n");
    const id = (key as string).split("_")[1] as string;
    assert.equal((await keys(["revoke", id, "--store", store], env)).code, 0);
    assert.equal((await keys(["revoke", "000000000000", "--store", store], env)).code, 1);
    const text = readFileSync(auditFile, "utf8");
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => [l.action, l.topic, l.result]),
      [
        ["key-create", `apikey://${id}`, "ok"],
        ["key-revoke", `apikey://${id}`, "ok"],
      ],
      "a revocation that changed nothing is not a write",
    );
    assert.match(lines[0].principal, /^os:/);
    assert.ok(!text.includes((key as string).slice(16)), "the secret is not audited");
  });
});
