/**
 * Which web pages may use beamgate from a browser: its own origin when reached by address, pages
 * served from this machine (loopback origins), and the origins configured (`allowedOrigins`, `OAS_ALLOWED_ORIGINS`). Applies
 * to CORS on plain HTTP and to WebSocket upgrades, which browsers make from any page without asking.
 * Clients that send no `Origin` (scripts, notebooks, other servers) are not browsers and pass.
 */
import type { IncomingHttpHeaders } from "node:http";

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
 * Same origin counts only when the page was reached by address (`http://10.0.0.5:8001`): a page
 * reached by a name could be an attacker's name rebound to this host (DNS rebinding), so a
 * deployment served by name lists its origin.
 */
function isAddressLiteral(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith("[");
}

export class OriginPolicy {
  readonly #allowed: ReadonlySet<string>;
  readonly #any: boolean;

  /** `allowed`: exact origins (`https://app.example.org`), or `*` for any. */
  constructor(allowed: readonly string[]) {
    this.#any = allowed.includes("*");
    this.#allowed = new Set(allowed.map((o) => o.replace(/\/+$/, "").toLowerCase()));
  }

  /** Whether a request with these headers may go on: no Origin, the same origin, loopback, or listed. */
  allows(headers: IncomingHttpHeaders): boolean {
    const origin = headers.origin;
    if (origin === undefined) return true;
    if (this.#any || this.#allowed.has(origin.toLowerCase())) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" (a sandboxed page or a file) and other opaque origins
    }
    return LOOPBACK_HOSTS.has(url.hostname) || (url.host === headers.host && isAddressLiteral(url.hostname));
  }
}
