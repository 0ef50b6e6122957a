/** The security options of an `HttpServer` a test builds by hand: anonymous clients may do anything. */
import { ConfigSchema } from "../../src/config/schema.js";
import { createLogger } from "../../src/log.js";
import { ProxyTrust } from "../../src/security/forwarded.js";
import { Guard } from "../../src/security/guard.js";
import { OriginPolicy } from "../../src/security/origins.js";

export async function openSecurity(): Promise<{ guard: Guard; proxy: ProxyTrust; origins: OriginPolicy }> {
  const config = ConfigSchema.parse({ security: { rules: "ALLOW ANY *" } });
  const guard = await Guard.create(config, createLogger("silent"), []);
  return { guard, proxy: new ProxyTrust(""), origins: new OriginPolicy([]) };
}
