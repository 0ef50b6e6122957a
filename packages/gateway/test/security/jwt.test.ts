import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";
import { type JwtOptions, JwtVerifier, jwtConfigured } from "../../src/security/jwt.js";

const SECRET = "a-test-secret-of-enough-length-for-hs256";
const dir = mkdtempSync(join(tmpdir(), "beamgate-jwt-"));

function options(overrides: Partial<JwtOptions> = {}): JwtOptions {
  return {
    secret: "",
    jwksFile: "",
    jwksUrl: "",
    issuer: "",
    audience: "",
    userClaim: "sub",
    groupsClaim: "groups",
    scopesClaim: "scope",
    defaultScopes: "read",
    ...overrides,
  };
}

const now = () => Math.floor(Date.now() / 1000);

function hs256(claims: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(secret));
}

/** Expects `verify` to refuse with `code`; also checks the message never quotes the token. */
async function refuses(verifier: JwtVerifier, token: string, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(verifier.verify(token), (e: Error & { code: string }) => {
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    if (token !== "") assert.ok(!e.message.includes(token), "the message quotes the token");
    for (const part of token.split(".").filter((p) => p.length > 8)) {
      assert.ok(!e.message.includes(part), "the message quotes part of the token");
    }
    return true;
  });
}

describe("jwtConfigured", () => {
  it("is true when a secret, a JWKS file or a JWKS URL is set", () => {
    assert.equal(jwtConfigured(options()), false);
    assert.equal(jwtConfigured(options({ secret: "s" })), true);
    assert.equal(jwtConfigured(options({ jwksFile: "/k.json" })), true);
    assert.equal(jwtConfigured(options({ jwksUrl: "https://idp.example.org/jwks" })), true);
  });
});

describe("JwtVerifier with an HS256 secret", () => {
  it("maps a valid token's claims to a token principal", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET }));
    const exp = now() + 600;
    const token = await hs256({ sub: "alice", groups: ["ops", "beamline"], scope: "read write", exp });
    assert.deepEqual(await verifier.verify(token), {
      kind: "token",
      name: "alice",
      groups: ["ops", "beamline"],
      scopes: ["read", "write"],
      expiresAt: exp * 1000,
    });
  });

  it("reads custom claim names, groups as a space-separated string and scopes as an array", async () => {
    const verifier = await JwtVerifier.create(
      options({ secret: SECRET, userClaim: "preferred_username", groupsClaim: "roles", scopesClaim: "perms" }),
    );
    const token = await hs256({ sub: "u-123", preferred_username: "bob", roles: "ops  staff", perms: ["write"] });
    const p = await verifier.verify(token);
    assert.deepEqual([p.name, p.groups, p.scopes], ["bob", ["ops", "staff"], ["write"]]);
  });

  it("accepts a token without exp, which never expires", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET }));
    const p = await verifier.verify(await hs256({ sub: "alice" }));
    assert.equal(p.expiresAt, undefined);
    assert.deepEqual(p.groups, []);
  });

  it("keeps only the scopes beamgate knows, from a string or an array", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET }));
    const fromString = await verifier.verify(await hs256({ sub: "a", scope: "openid write profile admin" }));
    assert.deepEqual(fromString.scopes, ["write"]);
    const fromArray = await verifier.verify(await hs256({ sub: "a", scope: ["admin", "read", 7] }));
    assert.deepEqual(fromArray.scopes, ["read"]);
  });

  it("gives defaultScopes to a token without the scopes claim", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET, defaultScopes: "read, write" }));
    assert.deepEqual((await verifier.verify(await hs256({ sub: "a" }))).scopes, ["read", "write"]);
    const readOnly = await JwtVerifier.create(options({ secret: SECRET }));
    assert.deepEqual((await readOnly.verify(await hs256({ sub: "a" }))).scopes, ["read"]);
    assert.deepEqual(
      (await readOnly.verify(await hs256({ sub: "a", scope: "" }))).scopes,
      ["read"],
      "present but empty",
    );
    assert.deepEqual(
      (await readOnly.verify(await hs256({ sub: "a", scope: "openid profile" }))).scopes,
      ["read"],
      "only the identity provider's own scopes",
    );
  });

  it("refuses a token without the user claim", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET, userClaim: "email" }));
    await refuses(verifier, await hs256({ sub: "alice" }), "BG_ERR_AUTH_INVALID", /no email claim/);
  });

  it("refuses a token signed with another secret", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET }));
    const token = await hs256({ sub: "alice" }, "another-secret-of-enough-length-for-hs256");
    await refuses(verifier, token, "BG_ERR_AUTH_INVALID", /^Invalid token: signature verification failed$/);
  });

  it("refuses an unsigned token (alg none)", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET }));
    const token = new UnsecuredJWT({ sub: "alice" }).encode();
    await refuses(verifier, token, "BG_ERR_AUTH_INVALID", /algorithm not allowed/);
  });

  it("checks the issuer and the audience when configured", async () => {
    const verifier = await JwtVerifier.create(
      options({ secret: SECRET, issuer: "https://idp.example.org", audience: "beamgate" }),
    );
    const good = { sub: "a", iss: "https://idp.example.org", aud: ["other", "beamgate"] };
    assert.equal((await verifier.verify(await hs256(good))).name, "a");
    await refuses(verifier, await hs256({ ...good, iss: "https://evil.example.org" }), "BG_ERR_AUTH_INVALID", /iss/);
    await refuses(verifier, await hs256({ ...good, aud: "other" }), "BG_ERR_AUTH_INVALID", /aud/);
    await refuses(verifier, await hs256({ sub: "a", aud: "beamgate" }), "BG_ERR_AUTH_INVALID", /no iss claim/);
  });

  it("refuses an expired token with BG_ERR_AUTH_EXPIRED, within a 5 s clock tolerance", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET }));
    await refuses(verifier, await hs256({ sub: "a", exp: now() - 10 }), "BG_ERR_AUTH_EXPIRED", /^Token expired$/);
    assert.equal((await verifier.verify(await hs256({ sub: "a", exp: now() - 2 }))).name, "a");
  });

  it("refuses a token not yet valid (nbf in the future)", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET }));
    await refuses(verifier, await hs256({ sub: "a", nbf: now() + 60 }), "BG_ERR_AUTH_INVALID", /nbf/);
    assert.equal((await verifier.verify(await hs256({ sub: "a", nbf: now() + 2 }))).name, "a");
  });

  it("refuses malformed tokens", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET }));
    for (const token of ["abc", "a.b.c", "", "..", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln"]) {
      await refuses(verifier, token, "BG_ERR_AUTH_INVALID", /^Invalid token: /);
    }
  });

  it("refuses RS256 tokens when only a secret is configured", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET }));
    const { privateKey } = await generateKeyPair("RS256");
    const token = await new SignJWT({ sub: "a" }).setProtectedHeader({ alg: "RS256" }).sign(privateKey);
    await refuses(verifier, token, "BG_ERR_AUTH_INVALID", /algorithm not allowed/);
  });
});

describe("JwtVerifier with a JWKS file", () => {
  let privateKey: CryptoKey;
  let jwksFile: string;

  before(async () => {
    const pair = await generateKeyPair("ES256");
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "es-1", alg: "ES256", use: "sig" };
    jwksFile = join(dir, "jwks.json");
    writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  });

  const es256 = (claims: JWTPayload, kid = "es-1") =>
    new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid }).sign(privateKey);

  it("verifies an ES256 token", async () => {
    const verifier = await JwtVerifier.create(options({ jwksFile }));
    assert.equal((await verifier.verify(await es256({ sub: "carol" }))).name, "carol");
  });

  it("refuses a token whose kid is not in the set", async () => {
    const verifier = await JwtVerifier.create(options({ jwksFile }));
    await refuses(verifier, await es256({ sub: "carol" }, "es-2"), "BG_ERR_AUTH_INVALID", /no key matches/);
  });

  it("refuses an HS256 token signed with the public key (algorithm confusion)", async () => {
    const verifier = await JwtVerifier.create(options({ jwksFile }));
    const token = await hs256({ sub: "mallory" }, readFileSync(jwksFile, "utf8"));
    await refuses(verifier, token, "BG_ERR_AUTH_INVALID", /algorithm not allowed/);
  });

  it("sends each token to the keys its alg fits when a secret and a JWKS are both configured", async () => {
    const verifier = await JwtVerifier.create(options({ secret: SECRET, jwksFile }));
    assert.equal((await verifier.verify(await es256({ sub: "carol" }))).name, "carol");
    assert.equal((await verifier.verify(await hs256({ sub: "alice" }))).name, "alice");
    await refuses(verifier, new UnsecuredJWT({ sub: "a" }).encode(), "BG_ERR_AUTH_INVALID", /algorithm not allowed/);
  });

  it("stops at create on a missing or malformed file, naming it", async () => {
    const missing = join(dir, "missing.json");
    const malformed = join(dir, "malformed.json");
    writeFileSync(malformed, '{"keys": "none"}');
    for (const file of [missing, malformed]) {
      await assert.rejects(
        JwtVerifier.create(options({ jwksFile: file })),
        (e: Error & { code: string }) => e.code === "BG_ERR_CONFIG_FILE" && e.message.includes(file),
      );
    }
  });
});

describe("JwtVerifier with a JWKS URL", () => {
  let privateKey: CryptoKey;
  let jwksUrl: string;
  let fetches = 0;
  const server = createServer();

  before(async () => {
    const pair = await generateKeyPair("RS256");
    privateKey = pair.privateKey;
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "rs-1", alg: "RS256" }] });
    server.on("request", (req, res) => {
      fetches++;
      if (req.url !== "/jwks") return res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/json" }).end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const rs256 = (claims: JWTPayload) =>
    new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "rs-1" }).sign(privateKey);

  it("verifies an RS256 token against the fetched keys, fetching once", async () => {
    const verifier = await JwtVerifier.create(options({ jwksUrl }));
    const before = fetches;
    assert.equal((await verifier.verify(await rs256({ sub: "dave" }))).name, "dave");
    assert.equal((await verifier.verify(await rs256({ sub: "erin" }))).name, "erin");
    assert.equal(fetches - before, 1);
  });

  it("tries the JWKS file first and the URL for keys the file lacks", async () => {
    const pair = await generateKeyPair("ES256");
    const jwksFile = join(dir, "pinned.json");
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "es-pinned" }] }));
    const verifier = await JwtVerifier.create(options({ jwksFile, jwksUrl }));
    const pinned = await new SignJWT({ sub: "frank" })
      .setProtectedHeader({ alg: "ES256", kid: "es-pinned" })
      .sign(pair.privateKey);
    assert.equal((await verifier.verify(pinned)).name, "frank");
    assert.equal((await verifier.verify(await rs256({ sub: "dave" }))).name, "dave");
  });

  it("refuses tokens, saying why, when the URL fails", async () => {
    const verifier = await JwtVerifier.create(options({ jwksUrl: jwksUrl.replace("/jwks", "/gone") }));
    await refuses(verifier, await rs256({ sub: "dave" }), "BG_ERR_AUTH_INVALID", /JWKS URL failed/);
  });

  it("stops at create on a URL that does not parse, or plain http beyond loopback", async () => {
    for (const url of ["not a url", "http://idp.example.org/jwks", "ftp://127.0.0.1/jwks"]) {
      await assert.rejects(
        JwtVerifier.create(options({ jwksUrl: url })),
        (e: Error & { code: string }) => e.code === "BG_ERR_CONFIG_INVALID",
        url,
      );
    }
    await JwtVerifier.create(options({ jwksUrl: "https://idp.example.org/jwks" }));
    await JwtVerifier.create(options({ jwksUrl: "http://localhost:8080/jwks" }));
  });
});
