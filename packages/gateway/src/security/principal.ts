/**
 * Who is on the other end of a connection or request. Decided once (in the HTTP upgrade, from the
 * request's headers, or from a first `auth` message) and asked by the policy for every decision.
 */

export type Action = "read" | "write";

/** The scopes beamgate knows: what a principal may do at most, whatever the rules say. */
export const SCOPES = ["read", "write"] as const;

export interface Principal {
  /** How the principal proved itself. */
  readonly kind: "anonymous" | "apikey" | "token";
  /** The user (a token's subject), the key's id, or `anonymous`: what logs and rules name. */
  readonly name: string;
  /** Groups from a token's claims (rules may name them as `group:NAME`). */
  readonly groups: readonly string[];
  /** What the principal may do at most: `read`, `write` (rules may name them as `scope:NAME`). */
  readonly scopes: readonly string[];
  /** Topic patterns an API key is limited to (see topic-pattern.ts); undefined: no limit beyond the rules. */
  readonly topics?: readonly string[];
  /** When the credentials stop being valid, in ms since the epoch; undefined: never. */
  readonly expiresAt?: number;
  /** The API key's id, so a revocation can find the connections that use it. */
  readonly keyId?: string;
}

export const ANONYMOUS: Principal = { kind: "anonymous", name: "anonymous", groups: [], scopes: ["read", "write"] };
