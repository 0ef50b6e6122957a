/**
 * Starts a real gateway on a free loopback port for a test, with configuration overrides. Unless
 * the test gives `security`, anonymous clients may read and write everything: tests of the
 * security defaults give `security: {}`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Config, ConfigSchema } from "../../src/config/schema.js";
import { type Gateway, startGateway } from "../../src/gateway.js";
import { createLogger } from "../../src/log.js";

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
type Overrides = DeepPartial<Config>;

export async function startTestGateway(
  overrides: Overrides = {},
  env: Record<string, string | undefined> = process.env,
): Promise<Gateway & { wsUrl: string }> {
  // No simulated IOC and no demo session unless a test asks: most tests need neither. Each
  // gateway stores in its own temporary directory (removed on close) unless given one.
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), "beamgate-test-"));
  const config = ConfigSchema.parse({
    port: 0,
    logLevel: "silent",
    ...overrides,
    dataDir,
    ca: { simIoc: "off", ...overrides.ca },
    telemetry: { demo: false, ...overrides.telemetry },
    // Audit lines would otherwise land on standard error amid the test report.
    security: overrides.security ?? { rules: "ALLOW ANY *", auditFile: "/dev/null" },
  });
  const gateway = await startGateway(config, createLogger("silent"), env);
  const close = gateway.close.bind(gateway);
  return Object.assign(gateway, {
    wsUrl: gateway.url.replace(/^http/, "ws"),
    close: async () => {
      await close();
      if (overrides.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
