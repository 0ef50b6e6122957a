/**
 * Safe defaults: a gateway reachable beyond this machine without authentication refuses to start,
 * before it listens; `insecurePublic` lets it start with anonymous clients that may only read.
 * Nothing here listens beyond loopback: every start that should be refused is also given TLS
 * files that do not exist, so that even if the check were gone it would stop before listening.
 */
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type Config, ConfigSchema } from "../../src/config/schema.js";
import { createLogger } from "../../src/log.js";
import { checkExposure } from "../../src/security/exposure.js";
import { Guard } from "../../src/security/guard.js";
import { runBeamgate } from "../helpers/cli.js";
import { startTestGateway } from "../helpers/gateway.js";

const MISSING = join(tmpdir(), "beamgate-no-such-dir", "missing.pem");
const NEVER_LISTENS = { cert: MISSING, key: MISSING };
const INSECURE = /refusing to \w+ on (0\.0\.0\.0|::) without authentication/;

function config(options: Record<string, unknown>): Config {
  return ConfigSchema.parse({ logLevel: "silent", ...options });
}

/** The guard a gateway with `options` would have (anonymous clients may write loc:// under the built-in rules). */
function guardOf(options: Record<string, unknown>): Promise<Guard> {
  return Guard.create(config(options), createLogger("silent"), ["loc://"]);
}

describe("exposure beyond loopback", { timeout: 20_000 }, () => {
  it("startGateway refuses a public address without authentication, before listening", async () => {
    for (const host of ["0.0.0.0", "::"]) {
      await assert.rejects(
        startTestGateway({ host, security: {}, tls: NEVER_LISTENS }),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, "BG_ERR_CONFIG_INSECURE", `${host}: ${e.message}`);
          assert.match(e.message, INSECURE);
          assert.match(e.message, /--insecure-public/, "the message names the ways out");
          return true;
        },
      );
    }
  });

  it("checkExposure: loopback, authentication or insecurePublic let it start; nothing else does", () => {
    const allowed: Record<string, unknown>[] = [
      { host: "127.0.0.1" },
      { host: "127.5.6.7" },
      { host: "localhost" },
      { host: "::1" },
      { host: "[::1]" },
      { host: "0.0.0.0", security: { apiKey: "k-123456" } },
      { host: "0.0.0.0", security: { apiKeysFile: "/etc/beamgate/keys.json" } },
      { host: "0.0.0.0", security: { jwt: { secret: "s" } } },
      { host: "0.0.0.0", security: { jwt: { jwksUrl: "https://idp.example.org/jwks" } } },
      { host: "0.0.0.0", security: { insecurePublic: true } },
      { host: "192.0.2.10", security: { insecurePublic: true } },
    ];
    for (const options of allowed) assert.doesNotThrow(() => checkExposure(config(options)), JSON.stringify(options));
    const refused: Record<string, unknown>[] = [
      { host: "0.0.0.0" },
      { host: "::" },
      { host: "192.0.2.10" },
      { host: "beamline.example.org" },
      { host: "127.0.0.1.example.org" },
      { host: "0.0.0.0", security: { anonymous: "off" } },
      { host: "0.0.0.0", security: { rules: "DENY ANY *" } },
    ];
    for (const options of refused) {
      assert.throws(() => checkExposure(config(options)), { code: "BG_ERR_CONFIG_INSECURE" }, JSON.stringify(options));
    }
  });

  it("with insecurePublic, anonymous clients are served with the read scope only", async () => {
    const guard = await guardOf({ host: "0.0.0.0", security: { insecurePublic: true } });
    try {
      assert.equal(guard.authenticator.anonymousAllowed, true);
      const anonymous = await guard.authenticator.authenticate(undefined);
      assert.equal(anonymous.kind, "anonymous");
      assert.deepEqual(anonymous.scopes, ["read"]);
      assert.equal(guard.policy.may(anonymous, "read", "loc://x"), true);
      assert.equal(guard.policy.may(anonymous, "write", "loc://x"), false, "not even where the rules let anyone write");
    } finally {
      await guard.stop();
    }
  });

  it("insecurePublic on loopback changes nothing: anonymous clients keep their usual scopes", async () => {
    const guard = await guardOf({ host: "127.0.0.1", security: { insecurePublic: true } });
    try {
      const anonymous = await guard.authenticator.authenticate(undefined);
      assert.deepEqual([...anonymous.scopes].sort(), ["read", "write"]);
      assert.equal(guard.policy.may(anonymous, "write", "loc://x"), true);
    } finally {
      await guard.stop();
    }
  });

  it("on a public address with authentication, anonymous clients are not served unless asked for", async () => {
    const keyed = await guardOf({ host: "0.0.0.0", security: { apiKey: "k-123456" } });
    try {
      assert.equal(keyed.authenticator.anonymousAllowed, false);
      await assert.rejects(keyed.authenticator.authenticate(undefined), { code: "BG_ERR_AUTH_REQUIRED" });
    } finally {
      await keyed.stop();
    }
    const open = await guardOf({ host: "0.0.0.0", security: { apiKey: "k-123456", anonymous: "on" } });
    try {
      assert.equal(open.authenticator.anonymousAllowed, true);
    } finally {
      await open.stop();
    }
  });

  it("`beamgate serve --host 0.0.0.0` exits with 2 and says why, without listening", async () => {
    const run = runBeamgate([
      "serve",
      "--host",
      "0.0.0.0",
      "--port",
      "0",
      "--sim-ioc",
      "off",
      "--tls-cert",
      MISSING,
      "--tls-key",
      MISSING,
    ]);
    const timer = setTimeout(() => run.child.kill("SIGKILL"), 8000);
    const code = await run.exited;
    clearTimeout(timer);
    assert.equal(code, 2, `stderr: ${run.err()}`);
    assert.match(run.err(), /^beamgate: refusing to \w+ on 0\.0\.0\.0 without authentication/);
    assert.doesNotMatch(run.out(), /listening|http:\/\//i, "no banner: it never listened");
  });
});
