/**
 * Turns credentials into a principal: the configured single API key, a key of the key store, or a
 * bearer token (JWT); no credentials give the anonymous principal where anonymous clients are
 * served. Every failure is a BG_ERR_AUTH_* error whose message never holds the secret.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { BeamgateError } from "../errors.js";
import { type ApiKeyStore, looksLikeApiKey } from "./api-keys.js";
import type { Credentials } from "./credentials.js";
import type { JwtVerifier } from "./jwt.js";
import { ANONYMOUS, type Principal } from "./principal.js";

export interface AuthenticatorOptions {
  /** The single API key from configuration (empty: none). */
  readonly apiKey: string;
  readonly keyStore: ApiKeyStore | undefined;
  readonly jwt: JwtVerifier | undefined;
  /** Whether clients without credentials are served as `anonymous`. */
  readonly anonymous: boolean;
  /** Anonymous clients may read only (`--insecure-public`). */
  readonly anonymousReadOnly: boolean;
}

const SINGLE_KEY_PRINCIPAL: Principal = {
  kind: "apikey",
  name: "single-user-key",
  groups: [],
  scopes: ["read", "write"],
};

const digest = (text: string) => createHash("sha256").update(text).digest();

export class Authenticator {
  readonly #options: AuthenticatorOptions;
  readonly #singleKey: Buffer | undefined;
  readonly #anonymous: Principal;

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
    this.#singleKey = options.apiKey === "" ? undefined : digest(options.apiKey);
    this.#anonymous = options.anonymousReadOnly ? { ...ANONYMOUS, scopes: ["read"] } : ANONYMOUS;
  }

  /** Whether clients without credentials are served. */
  get anonymousAllowed(): boolean {
    return this.#options.anonymous;
  }

  get keyStore(): ApiKeyStore | undefined {
    return this.#options.keyStore;
  }

  async authenticate(credentials: Credentials | undefined): Promise<Principal> {
    if (credentials === undefined) {
      if (this.#options.anonymous) return this.#anonymous;
      throw new BeamgateError("BG_ERR_AUTH_REQUIRED", "Authentication required: send an API key or a bearer token");
    }
    const { scheme, secret } = credentials;
    if (this.#isSingleKey(secret)) return SINGLE_KEY_PRINCIPAL;
    if (scheme === "apikey" || looksLikeApiKey(secret)) {
      if (!this.#options.keyStore) throw new BeamgateError("BG_ERR_AUTH_INVALID", "Invalid API key");
      return this.#options.keyStore.verify(secret);
    }
    if (!this.#options.jwt) throw new BeamgateError("BG_ERR_AUTH_INVALID", "Invalid bearer token");
    return this.#options.jwt.verify(secret);
  }

  #isSingleKey(secret: string): boolean {
    return this.#singleKey !== undefined && timingSafeEqual(digest(secret), this.#singleKey);
  }
}
