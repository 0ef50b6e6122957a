/**
 * Behind a reverse proxy the peer is the proxy: the client's address, scheme and host come in
 * `X-Forwarded-For`, `-Proto` and `-Host`, believed only when the peer is a trusted proxy (anyone
 * can send those headers). `trustProxy`: a comma list of addresses or CIDR ranges, or `loopback`.
 */
import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";

export interface RequestOrigin {
  /** The client's address. */
  readonly address: string;
  /** `http` or `https`, as the client reached beamgate (or the proxy). */
  readonly proto: string;
  /** The `Host` the client asked for. */
  readonly host: string | undefined;
}

const first = (header: string | string[] | undefined) =>
  (Array.isArray(header) ? header[0] : header)?.split(",")[0]?.trim() || undefined;

/** IPv4 peers reach a dual-stack server as `::ffff:a.b.c.d`. */
const plain = (address: string) =>
  address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;

export class ProxyTrust {
  readonly #trusted = new BlockList();
  readonly #any: boolean;

  /** Throws on an entry that is neither an address nor a CIDR range. */
  constructor(spec: string) {
    const entries = spec
      .split(",")
      .map((e) => e.trim())
      .filter(Boolean);
    this.#any = entries.length > 0;
    for (const entry of entries) {
      if (entry === "loopback") {
        this.#trusted.addSubnet("127.0.0.0", 8, "ipv4");
        this.#trusted.addAddress("::1", "ipv6");
        continue;
      }
      const [address = "", bits] = entry.split("/");
      const family = isIP(address);
      const prefix =
        bits === undefined ? undefined : /^\d{1,3}$/.test(entry.slice(address.length + 1)) ? Number(bits) : Number.NaN;
      const max = family === 6 ? 128 : 32;
      if (family === 0 || (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max))) {
        throw new Error(`trustProxy: "${entry}" is not an address, a CIDR range or "loopback"`);
      }
      const type = family === 6 ? "ipv6" : "ipv4";
      if (prefix === undefined) this.#trusted.addAddress(address, type);
      else this.#trusted.addSubnet(address, prefix, type);
    }
  }

  #isTrusted(address: string): boolean {
    const a = plain(address);
    const family = isIP(a);
    return family !== 0 && this.#trusted.check(a, family === 6 ? "ipv6" : "ipv4");
  }

  /** Where a request really comes from. */
  originOf(request: IncomingMessage): RequestOrigin {
    const peer = plain(request.socket.remoteAddress ?? "");
    const direct = {
      address: peer,
      proto: (request.socket as { encrypted?: boolean }).encrypted ? "https" : "http",
      host: request.headers.host,
    };
    if (!this.#any || !this.#isTrusted(peer)) return direct;
    // The rightmost address that is not a trusted proxy is the client; the ones left of it could be forged.
    const chain = String(request.headers["x-forwarded-for"] ?? "")
      .split(",")
      .map((a) => a.trim())
      .filter(Boolean);
    let address = peer;
    for (let i = chain.length - 1; i >= 0; i--) {
      address = plain(chain[i] as string);
      if (!this.#isTrusted(address)) break;
    }
    return {
      address,
      proto: first(request.headers["x-forwarded-proto"]) ?? direct.proto,
      host: first(request.headers["x-forwarded-host"]) ?? direct.host,
    };
  }
}
