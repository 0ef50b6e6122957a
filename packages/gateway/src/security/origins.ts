/**
 * Which web pages may use beamgate from a browser: its own origin when reached by address, pages
 * served from this machine (loopback origins), and the origins configured (`allowedOrigins`, `OAS_ALLOWED_ORIGINS`). Applies
 * to CORS on plain HTTP and to WebSocket upgrades, which browsers make from any page without asking.
 * Clients that send no `Origin` (scripts, notebooks, other servers) are not browsers and pass.
 */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** A list as ophyd-websocket reads OAS_ALLOWED_ORIGINS: a JSON array, or comma-separated. Throws on a bad array. */
export function parseOrigins(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  if (trimmed.startsWith("[")) {
    const parsed: unknown = JSON.parse(trimmed);
    if (!Array.isArray(parsed) || parsed.some((o) => typeof o !== "string")) {
      throw new Error("a JSON list of origins must hold strings only");
    }
    return parsed.map((o: string) => o.trim()).filter(Boolean);
  }
  return trimmed
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
}

/**
 * While anonymous clients are served, same origin counts only when the page was reached by address
 * (`http://10.0.0.5:8001`): a page reached by a name could be an attacker's name rebound to this
 * host (DNS rebinding), which would borrow the victim's network position. Where credentials are
 * required, a rebound page has none to send, and same origin by name is allowed too.
 */
function isAddressLiteral(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith("[");
}

export class OriginPolicy {
  readonly #allowed: ReadonlySet<string>;
  readonly #any: boolean;
  readonly #sameOriginByName: boolean;

  /**
   * `allowed`: exact origins (`https://app.example.org`), or `*` for any. `sameOriginByName`:
   * whether a page served by name from this host counts as same origin (not while anonymous
   * clients are served).
   */
  constructor(allowed: readonly string[], sameOriginByName = false) {
    this.#any = allowed.includes("*");
    this.#sameOriginByName = sameOriginByName;
    this.#allowed = new Set(allowed.map((o) => o.replace(/\/+$/, "").toLowerCase()));
  }

  /**
   * Whether a request may go on: no Origin, the same origin, loopback, or listed. `host`: the
   * `Host` the client asked for (the forwarded one behind a trusted proxy).
   */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.#any || this.#allowed.has(origin.toLowerCase())) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" (a sandboxed page or a file) and other opaque origins
    }
    return (
      LOOPBACK_HOSTS.has(url.hostname) ||
      (url.host === host && (this.#sameOriginByName || isAddressLiteral(url.hostname)))
    );
  }
}
