/**
 * Bearer tokens (JWT): verified with `jose` against an HS256 secret, a JWKS file or a JWKS URL
 * (docs/decisions/011), then mapped to a Principal through the configured claim names.
 */
import { readFile } from "node:fs/promises";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import type { Config } from "../config/schema.js";
import { BeamgateError } from "../errors.js";
import { type Principal, SCOPES } from "./principal.js";

export type JwtOptions = Config["security"]["jwt"];

// Never `none`; symmetric only with our own secret, so a public key can never serve as an HMAC secret.
const HMAC_ALGORITHMS = ["HS256"];
const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"];
// Small: clocks of one site agree to a second or two, and every second added extends a stolen token.
const CLOCK_TOLERANCE_S = 5;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

interface KeySource {
  readonly key: Uint8Array | JWTVerifyGetKey;
  readonly algorithms: string[];
}

export function jwtConfigured(options: JwtOptions): boolean {
  return options.secret !== "" || options.jwksFile !== "" || options.jwksUrl !== "";
}

export class JwtVerifier {
  readonly #options: JwtOptions;
  readonly #hmac: KeySource | undefined;
  readonly #jwks: KeySource | undefined;
  readonly #defaultScopes: readonly string[];

  private constructor(options: JwtOptions, hmac: KeySource | undefined, jwks: KeySource | undefined) {
    this.#options = options;
    this.#hmac = hmac;
    this.#jwks = jwks;
    this.#defaultScopes = knownScopes(options.defaultScopes.split(","));
  }

  /** Reads `jwksFile` now, so a bad file stops the start rather than every login. */
  static async create(options: JwtOptions): Promise<JwtVerifier> {
    const hmac = options.secret
      ? { key: new TextEncoder().encode(options.secret), algorithms: HMAC_ALGORITHMS }
      : undefined;
    const local = options.jwksFile ? await readJwksFile(options.jwksFile) : undefined;
    const remote = options.jwksUrl ? remoteJwks(options.jwksUrl) : undefined;
    const getKey = local && remote ? fileThenUrl(local, remote) : (local ?? remote);
    return new JwtVerifier(options, hmac, getKey && { key: getKey, algorithms: JWKS_ALGORITHMS });
  }

  /**
   * The principal a valid token stands for. Throws BG_ERR_AUTH_EXPIRED or BG_ERR_AUTH_INVALID, with
   * messages that never quote the token. A token without `exp` is accepted and never expires.
   */
  async verify(token: string): Promise<Principal> {
    let claims: JWTPayload;
    try {
      const source = this.#sourceFor(decodeProtectedHeader(token).alg);
      ({ payload: claims } = await jwtVerify(token, source.key, {
        algorithms: source.algorithms,
        issuer: this.#options.issuer || undefined,
        audience: this.#options.audience || undefined,
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (e) {
      throw tokenError(e);
    }
    return this.#principal(claims);
  }

  /** The keys the header's `alg` fits; otherwise whatever is configured, so jose refuses the `alg`. */
  #sourceFor(alg: unknown): KeySource {
    const hmac = typeof alg === "string" && alg.startsWith("HS");
    const source = (hmac ? this.#hmac : this.#jwks) ?? this.#hmac ?? this.#jwks;
    if (!source) throw invalid("no keys configured");
    return source;
  }

  #principal(claims: JWTPayload): Principal {
    const { userClaim, groupsClaim, scopesClaim } = this.#options;
    const user = claims[userClaim];
    if ((typeof user !== "string" || user === "") && typeof user !== "number") {
      throw invalid(`token has no ${userClaim} claim`);
    }
    // An identity provider's own scopes (`openid profile`) say nothing of ours: then the defaults apply.
    const scopes = knownScopes(claimList(claims[scopesClaim]) ?? []);
    return {
      kind: "token",
      name: String(user),
      groups: claimList(claims[groupsClaim]) ?? [],
      scopes: scopes.length > 0 ? scopes : this.#defaultScopes,
      ...(typeof claims.exp === "number" && { expiresAt: claims.exp * 1000 }),
    };
  }
}

async function readJwksFile(file: string): Promise<JWTVerifyGetKey> {
  try {
    return createLocalJWKSet(JSON.parse(await readFile(file, "utf8")));
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new BeamgateError("BG_ERR_CONFIG_FILE", `Cannot read the JWKS file ${file}: ${reason}`, { cause: e });
  }
}

/** Fetched on first use and cached by jose; an unknown `kid` refetches (at most every 30 s). */
function remoteJwks(url: string): JWTVerifyGetKey {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e) {
    throw new BeamgateError("BG_ERR_CONFIG_INVALID", `invalid value for security.jwt.jwksUrl: ${url}`, { cause: e });
  }
  // Whoever can alter the response can sign tokens: plain http only where no network is crossed.
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && LOOPBACK.test(parsed.hostname))) {
    throw new BeamgateError("BG_ERR_CONFIG_INVALID", "security.jwt.jwksUrl must be https (or http on loopback)");
  }
  const remote = createRemoteJWKSet(parsed);
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (e) {
      if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) throw e;
      // The provider, not the token, failed: say so, so an operator can tell why every token is refused.
      throw new BeamgateError("BG_ERR_AUTH_INVALID", "Cannot verify the token: the JWKS URL failed", { cause: e });
    }
  };
}

/** Keys pinned in the file first; the provider's URL for the rest (a key it has rotated in). */
function fileThenUrl(local: JWTVerifyGetKey, remote: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await local(header, token);
    } catch (e) {
      if (e instanceof errors.JWKSNoMatchingKey) return remote(header, token);
      throw e;
    }
  };
}

function invalid(reason: string): BeamgateError {
  return new BeamgateError("BG_ERR_AUTH_INVALID", `Invalid token: ${reason}`);
}

// Our own messages from the error's class: jose's could one day quote claim values.
function tokenError(e: unknown): BeamgateError {
  if (e instanceof BeamgateError) return e;
  if (e instanceof errors.JWTExpired) return new BeamgateError("BG_ERR_AUTH_EXPIRED", "Token expired");
  if (e instanceof errors.JWSSignatureVerificationFailed) return invalid("signature verification failed");
  if (e instanceof errors.JOSEAlgNotAllowed) return invalid("algorithm not allowed");
  if (e instanceof errors.JWKSNoMatchingKey) return invalid("no key matches the token");
  if (e instanceof errors.JWKSMultipleMatchingKeys) return invalid("several keys match the token");
  if (e instanceof errors.JWTClaimValidationFailed) {
    return invalid(e.reason === "missing" ? `no ${e.claim} claim` : `${e.claim} claim check failed`);
  }
  return invalid("malformed");
}

/** A claim holding a list: an array of strings or a space-separated string; undefined when absent. */
function claimList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

/** Only the scopes beamgate knows: a provider's `openid profile` and the like mean nothing here. */
function knownScopes(scopes: readonly string[]): string[] {
  return SCOPES.filter((s) => scopes.some((t) => t.trim() === s));
}
