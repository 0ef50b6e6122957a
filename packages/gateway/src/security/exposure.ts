/**
 * Safe defaults: beamgate reachable beyond this machine without any authentication is refused at
 * start-up, with the ways out, unless the operator says `--insecure-public` (then nobody writes).
 */
import { isIP } from "node:net";
import type { Config } from "../config/schema.js";
import { BeamgateError } from "../errors.js";
import { jwtConfigured } from "./jwt.js";

/** Whether a listen address is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

/**
 * Whether only this machine's users reach beamgate: it listens on loopback and no reverse proxy
 * is trusted (behind a proxy, loopback clients stand for anyone the proxy serves).
 */
export function servesOnlyThisMachine(config: Config): boolean {
  return isLoopbackHost(config.host) && config.trustProxy.trim() === "";
}

export function authenticationConfigured(security: Config["security"]): boolean {
  return security.apiKey !== "" || security.apiKeysFile !== "" || jwtConfigured(security.jwt);
}

/** Throws BG_ERR_CONFIG_INSECURE when the configuration would expose beamgate without authentication. */
export function checkExposure(config: Config): void {
  if (servesOnlyThisMachine(config) || authenticationConfigured(config.security) || config.security.insecurePublic) {
    return;
  }
  throw new BeamgateError(
    "BG_ERR_CONFIG_INSECURE",
    `refusing to serve ${isLoopbackHost(config.host) ? "through a trusted proxy" : `on ${config.host}`} ` +
      "without authentication: anyone who can reach it could read (and write) your data. Configure API " +
      "keys (--api-keys-file, after 'beamgate keys create'), a single key (--api-key / BEAMGATE_API_KEY) " +
      "or bearer tokens (security.jwt), or accept read-only public access with --insecure-public " +
      "(docs/security.md)",
  );
}
