/** ProxyTrust: which peers' X-Forwarded-* headers are believed, and what they give. */
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/load.js";
import { ProxyTrust } from "../../src/security/forwarded.js";

/** Just what `originOf` reads of a request: the peer's address, whether it is TLS, and the headers. */
function request(remoteAddress: string, headers: Record<string, string> = {}, encrypted = false): IncomingMessage {
  return { socket: { remoteAddress, encrypted }, headers } as unknown as IncomingMessage;
}

const FORWARDED = {
  host: "10.0.0.5:8001",
  "x-forwarded-for": "203.0.113.9",
  "x-forwarded-proto": "https",
  "x-forwarded-host": "beamline.example.org",
};

describe("ProxyTrust.originOf", () => {
  it("ignores the forwarded headers when no proxy is trusted, even from loopback", () => {
    const trust = new ProxyTrust("");
    assert.deepEqual(trust.originOf(request("127.0.0.1", FORWARDED)), {
      address: "127.0.0.1",
      proto: "http",
      host: "10.0.0.5:8001",
    });
  });

  it("ignores the forwarded headers of a peer that is not a trusted proxy", () => {
    const trust = new ProxyTrust("10.0.0.1, 192.168.0.0/16");
    assert.deepEqual(trust.originOf(request("10.0.0.2", FORWARDED)), {
      address: "10.0.0.2",
      proto: "http",
      host: "10.0.0.5:8001",
    });
    assert.equal(trust.originOf(request("172.16.0.1", FORWARDED)).address, "172.16.0.1");
  });

  it("believes a trusted proxy: the client address, scheme and host it forwards", () => {
    const trust = new ProxyTrust("10.0.0.1");
    assert.deepEqual(trust.originOf(request("10.0.0.1", FORWARDED)), {
      address: "203.0.113.9",
      proto: "https",
      host: "beamline.example.org",
    });
  });

  it("takes the rightmost address that is not a trusted proxy: the ones left of it could be forged", () => {
    const trust = new ProxyTrust("10.0.0.0/8");
    const origin = (xff: string) => trust.originOf(request("10.0.0.1", { "x-forwarded-for": xff })).address;
    assert.equal(origin("198.51.100.66, 203.0.113.9"), "203.0.113.9", "a forged entry on the left is skipped");
    assert.equal(origin("198.51.100.66,203.0.113.9, 10.1.2.3, 10.9.9.9"), "203.0.113.9", "proxies on the right");
    assert.equal(origin(" 203.0.113.9 "), "203.0.113.9");
    assert.equal(origin(""), "10.0.0.1", "an empty header leaves the peer");
  });

  it("keeps the peer, and its own scheme and host, when a trusted proxy forwards nothing", () => {
    const trust = new ProxyTrust("loopback");
    assert.deepEqual(trust.originOf(request("127.0.0.1", { host: "localhost:8001" })), {
      address: "127.0.0.1",
      proto: "http",
      host: "localhost:8001",
    });
    assert.equal(trust.originOf(request("127.0.0.1", {}, true)).proto, "https", "a TLS socket is https");
    assert.equal(trust.originOf(request("192.0.2.1", { "x-forwarded-proto": "http" }, true)).proto, "https");
  });

  it("takes the first of several forwarded schemes and hosts (the one the client used)", () => {
    const trust = new ProxyTrust("loopback");
    const o = trust.originOf(
      request("127.0.0.1", {
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-proto": "https, http",
        "x-forwarded-host": "public.example.org, internal.example.org",
      }),
    );
    assert.equal(o.proto, "https");
    assert.equal(o.host, "public.example.org");
  });

  it("treats IPv4-mapped IPv6 peers (::ffff:a.b.c.d) as their IPv4 address", () => {
    const trust = new ProxyTrust("loopback");
    const o = trust.originOf(request("::ffff:127.0.0.1", { "x-forwarded-for": "::ffff:203.0.113.9" }));
    assert.equal(o.address, "203.0.113.9", "trusted as 127.0.0.1; the forwarded mapped address made plain");
    assert.equal(trust.originOf(request("::ffff:127.0.0.1")).address, "127.0.0.1");
    assert.equal(trust.originOf(request("::1", { "x-forwarded-for": "2001:db8::7" })).address, "2001:db8::7");
    assert.equal(
      trust.originOf(request("::ffff:192.0.2.1", { "x-forwarded-for": "203.0.113.9" })).address,
      "192.0.2.1",
      "a mapped address outside loopback is not trusted",
    );
    // Through a mapped proxy address inside the chain too.
    const chain = new ProxyTrust("10.0.0.0/8");
    assert.equal(
      chain.originOf(request("::ffff:10.0.0.1", { "x-forwarded-for": "203.0.113.9, ::ffff:10.2.3.4" })).address,
      "203.0.113.9",
    );
  });

  it("trusts CIDR ranges, IPv4 and IPv6, and nothing outside them", () => {
    const trust = new ProxyTrust("192.168.4.0/22, fd00:aa::/32");
    const from = (peer: string) => trust.originOf(request(peer, { "x-forwarded-for": "203.0.113.9" })).address;
    assert.equal(from("192.168.4.1"), "203.0.113.9");
    assert.equal(from("192.168.7.254"), "203.0.113.9");
    assert.equal(from("192.168.8.1"), "192.168.8.1");
    assert.equal(from("192.168.3.255"), "192.168.3.255");
    assert.equal(from("fd00:aa:1::2"), "203.0.113.9");
    assert.equal(from("fd00:ab::2"), "fd00:ab::2");
    assert.equal(from(""), "", "a socket without an address is not trusted");
  });

  it("throws on entries that are neither an address, a CIDR range nor loopback", () => {
    for (const spec of [
      "nonsense",
      "localhost",
      "10.0.0.256",
      "10.0.0.0/33",
      "::/129",
      "10.0.0.0/-1",
      "10.0.0.0/8.5",
      "10.0.0.0/abc",
      // Each of these was once read as a range: "10.0.0.0/" as /0, which trusted every IPv4 peer.
      "10.0.0.0/",
      "10.0.0.0/0x8",
      "10.0.0.0/1e1",
      "10.0.0.0/8/9",
      "127.0.0.1, nonsense",
    ]) {
      assert.throws(() => new ProxyTrust(spec), /trustProxy: .* is not an address, a CIDR range or "loopback"/, spec);
    }
    for (const spec of ["", " , ", "loopback", "10.0.0.0/0", "::/0", "2001:db8::1", "10.0.0.0/8,loopback"]) {
      assert.doesNotThrow(() => new ProxyTrust(spec), spec);
    }
  });

  it("a bad trustProxy stops the configuration, naming the option", () => {
    assert.throws(
      () => loadConfig({ flags: { trustProxy: "nonsense" } }),
      (e: Error & { code?: string }) =>
        e.code === "BG_ERR_CONFIG_INVALID" && /^invalid value for trustProxy: .*nonsense/.test(e.message),
    );
    assert.throws(() => loadConfig({ env: { BEAMGATE_TRUST_PROXY: "10.0.0.0/40" } }), {
      code: "BG_ERR_CONFIG_INVALID",
      message: /trustProxy.*\(from environment BEAMGATE_TRUST_PROXY\)/,
    });
    assert.equal(loadConfig({ flags: { trustProxy: "loopback, 10.0.0.0/8" } }).trustProxy, "loopback, 10.0.0.0/8");
  });
});
