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

export function authenticationConfigured(security: Config["security"]): boolean {
  return security.apiKey !== "" || security.apiKeysFile !== "" || jwtConfigured(security.jwt);
}

/** Throws BG_ERR_CONFIG_INSECURE when the configuration would expose beamgate without authentication. */
export function checkExposure(config: Config): void {
  if (isLoopbackHost(config.host) || authenticationConfigured(config.security) || config.security.insecurePublic) {
    return;
  }
  throw new BeamgateError(
    "BG_ERR_CONFIG_INSECURE",
    `refusing to listen on ${config.host} without authentication: anyone who can reach it could read ` +
      "(and write) your data. Configure API keys (--api-keys-file, after 'beamgate keys create') or a " +
      "single key (--api-key / BEAMGATE_API_KEY) or bearer tokens (security.jwt), or listen on 127.0.0.1 " +
      "behind a proxy, or accept read-only public access with --insecure-public (docs/security.md)",
  );
}
