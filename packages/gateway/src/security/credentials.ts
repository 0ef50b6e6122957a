/**
 * Where a client's credentials are found, in the forms that clients can send:
 * - `Authorization: Bearer <token>` or `Authorization: Apikey <key>` (scripts, notebooks, servers);
 * - a `Sec-WebSocket-Protocol` entry `beamgate.bearer.<token or key>` next to a real protocol name,
 *   which is the one echoed back (browsers cannot set headers on a WebSocket);
 * - `?access_token=<token>` on the endpoints that take it for Tiled compatibility;
 * - a first message `{"type":"auth","api_key":...}` or `{"type":"auth","access_token":...}` (Tiled).
 * Nothing here checks the secret; nothing here logs it.
 */
import type { IncomingMessage } from "node:http";
import { BeamgateError } from "../errors.js";

export interface Credentials {
  /** `apikey`: an API key; `bearer`: a token (JWT) or an API key sent as a bearer secret. */
  readonly scheme: "apikey" | "bearer";
  readonly secret: string;
}

/** The subprotocol prefix that carries a credential. */
export const SUBPROTOCOL_PREFIX = "beamgate.bearer.";

/** Longest secret read from any of the forms: far above any key or token, far below a memory problem. */
const MAX_SECRET_LENGTH = 16 * 1024;

function credentials(scheme: Credentials["scheme"], secret: string): Credentials {
  const trimmed = secret.trim();
  if (trimmed === "" || trimmed.length > MAX_SECRET_LENGTH) {
    throw new BeamgateError("BG_ERR_AUTH_INVALID", "Malformed credentials");
  }
  return { scheme, secret: trimmed };
}

/** The `Authorization` header's credentials, if there is one. */
export function fromAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(\S+)\s+(.+)$/s.exec(header);
  const scheme = match?.[1]?.toLowerCase();
  if (!match || (scheme !== "bearer" && scheme !== "apikey")) {
    throw new BeamgateError("BG_ERR_AUTH_INVALID", "Authorization must be `Bearer <token>` or `Apikey <key>`");
  }
  return credentials(scheme, match[2] as string);
}

/** The protocols a WebSocket client offered, split into its credential (if any) and the real names. */
export function fromSubprotocols(header: string | undefined): { credentials?: Credentials; protocols: string[] } {
  const offered = (header ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const protocols = offered.filter((p) => !p.startsWith(SUBPROTOCOL_PREFIX));
  const carrier = offered.find((p) => p.startsWith(SUBPROTOCOL_PREFIX));
  if (carrier === undefined) return { protocols };
  if (protocols.length === 0) {
    throw new BeamgateError(
      "BG_ERR_AUTH_INVALID",
      `Offer a protocol name (such as "beamgate") beside the ${SUBPROTOCOL_PREFIX} entry: it is the one echoed back`,
    );
  }
  return { credentials: credentials("bearer", carrier.slice(SUBPROTOCOL_PREFIX.length)), protocols };
}

/**
 * The credentials of an HTTP request or WebSocket upgrade: the header first, then a subprotocol
 * entry, then `access_token` in the query where `queryToken` allows it.
 */
export function fromRequest(request: IncomingMessage, url: URL, queryToken: boolean): Credentials | undefined {
  const header = fromAuthorization(request.headers.authorization);
  const carried = fromSubprotocols(request.headers["sec-websocket-protocol"]).credentials;
  const query = url.searchParams.get("access_token");
  if (query !== null && !queryToken) {
    throw new BeamgateError(
      "BG_ERR_AUTH_INVALID",
      "access_token in the URL is not accepted here: send an Authorization header or a beamgate.bearer subprotocol entry",
    );
  }
  return header ?? carried ?? (query !== null ? credentials("bearer", query) : undefined);
}

/** The credentials of a first `auth` message (already parsed); throws BG_ERR_AUTH_REQUIRED for anything else. */
export function fromAuthMessage(message: unknown): Credentials {
  const m = message as Record<string, unknown> | null;
  if (typeof m !== "object" || m === null || Array.isArray(m) || m.type !== "auth") {
    throw new BeamgateError("BG_ERR_AUTH_REQUIRED", 'The first message must be {"type":"auth", ...}');
  }
  if (typeof m.api_key === "string") return credentials("apikey", m.api_key);
  if (typeof m.access_token === "string") return credentials("bearer", m.access_token);
  throw new BeamgateError("BG_ERR_AUTH_INVALID", 'An auth message carries "api_key" or "access_token" as a string');
}
