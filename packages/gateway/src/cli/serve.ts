/**
 * `beamgate serve`: resolve the configuration (defaults < file < environment < flags), start the
 * gateway, print the URLs it serves, and stop gracefully on SIGINT/SIGTERM within 2 s.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../config/load.js";
import { BeamgateError } from "../errors.js";
import { startGateway } from "../gateway.js";
import { createLogger } from "../log.js";
import { closeOnSignal } from "./close-on-signal.js";

const HELP = `Usage: beamgate serve [options]

Options:
  --host ADDRESS          address to listen on (default 127.0.0.1; env BEAMGATE_HOST or OAS_HOST)
  --port PORT             port to listen on (default 8001; env BEAMGATE_PORT or OAS_PORT)
  --config FILE           YAML or JSON configuration file (env BEAMGATE_CONFIG)
  --default-scheme NAME   scheme for bare PV names: ca, sim or loc (default ca)
  --sim-ioc MODE          in-process simulated IOC: auto, on or off (default auto: on when
                          EPICS_CA_ADDR_LIST is not set)
  --startup-dir PATH      device file or folder for /api/v1/device-socket (env OAS_STARTUP_DIR)
  --data-dir PATH         where telemetry sessions are stored (default ./beamgate-data;
                          env BEAMGATE_DATA_DIR)
  --no-demo               no simulated telemetry session (env BEAMGATE_TELEMETRY_DEMO=false)
  --allowed-origin URL    a browser origin allowed besides beamgate's own and loopback pages
                          (repeatable; env BEAMGATE_ALLOWED_ORIGINS or OAS_ALLOWED_ORIGINS)
  --allowed-origins LIST  the same as a comma list or JSON array
  --api-key KEY           a single API key with every scope (env BEAMGATE_API_KEY)
  --api-keys-file FILE    the API keys made with 'beamgate keys' (env BEAMGATE_SECURITY_API_KEYS_FILE)
  --rules FILE            access rules file, reread on SIGHUP and on change (docs/security.md)
  --audit-file FILE       append the audit log (one JSON line per write) here, not to stderr
  --insecure-public       allow listening beyond loopback without authentication: read-only
  --tls-cert FILE         PEM certificate chain: serve https and wss (with --tls-key)
  --tls-key FILE          PEM private key of --tls-cert
  --trust-proxy LIST      proxies whose X-Forwarded-* headers are believed (addresses, CIDRs
                          or "loopback")
  --log-level LEVEL       fatal, error, warn, info, debug, trace or silent (default info)
  -h, --help              print this help

Precedence: defaults < configuration file < environment < flags. Every option and its
environment variable: docs/configuration.md.
`;

const FLAGS = {
  host: { type: "string" },
  port: { type: "string" },
  config: { type: "string" },
  "default-scheme": { type: "string" },
  "sim-ioc": { type: "string" },
  "startup-dir": { type: "string" },
  "data-dir": { type: "string" },
  "no-demo": { type: "boolean" },
  "allowed-origins": { type: "string" },
  "allowed-origin": { type: "string", multiple: true },
  "api-key": { type: "string" },
  "api-keys-file": { type: "string" },
  rules: { type: "string" },
  "audit-file": { type: "string" },
  "insecure-public": { type: "boolean" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "trust-proxy": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Flag name -> configuration path. */
const FLAG_PATHS: Record<string, string> = {
  host: "host",
  port: "port",
  "default-scheme": "defaultScheme",
  "sim-ioc": "ca.simIoc",
  "startup-dir": "ophyd.startupDir",
  "data-dir": "dataDir",
  "allowed-origins": "allowedOrigins",
  "api-key": "security.apiKey",
  "api-keys-file": "security.apiKeysFile",
  rules: "security.rulesFile",
  "audit-file": "security.auditFile",
  "tls-cert": "tls.cert",
  "tls-key": "tls.key",
  "trust-proxy": "trustProxy",
  "log-level": "logLevel",
};

export async function serve(argv: readonly string[]): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }));
  } catch (e) {
    const message = (e as Error).message.split("\n")[0]?.replace(/\.$/, "");
    throw new BeamgateError("BG_ERR_CLI_USAGE", `${message} (try 'beamgate serve --help')`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const flags: Record<string, string> = {};
  for (const [flag, path] of Object.entries(FLAG_PATHS)) {
    const v = values[flag];
    if (typeof v === "string") flags[path] = v;
  }
  const origins = values["allowed-origin"] as string[] | undefined;
  if (origins) flags.allowedOrigins = [flags.allowedOrigins, ...origins].filter(Boolean).join(",");
  if (values["insecure-public"]) flags["security.insecurePublic"] = "true";
  if (values["no-demo"]) flags["telemetry.demo"] = "false";
  const config = loadConfig({ file: values.config as string | undefined, env: process.env, flags });
  const log = createLogger(config.logLevel);
  const gateway = await startGateway(config, log);

  // Signals are handled before the banner goes out: whoever reads it may signal at once.
  process.on("SIGHUP", () => {
    try {
      gateway.guard.reload();
    } catch {
      // Logged by the guard; the previous rules stay.
    }
  });
  const stopped = closeOnSignal(() => gateway.close(), {
    stopping: (signal) => log.info({ signal }, "shutting down"),
    tooSlow: () => log.error("shutdown took longer than 2 s; exiting"),
    failed: (e) => log.error({ err: e }, "error during shutdown"),
  });
  const ws = gateway.url.replace(/^http/, "ws");
  process.stdout.write(
    `beamgate listening on ${gateway.url}\n` +
      `  ${ws}/ws                    PV streaming API\n` +
      `  ${ws}/api/v1/stream/multi   native multiplexed protocol\n` +
      `  ${ws}/api/v1/pv-socket      ophyd-websocket pv-socket\n` +
      `  ${ws}/api/v1/device-socket  ophyd-websocket device-socket (${gateway.devices.size} devices)\n` +
      `  ${ws}/rta/v2/sessions/{identity}/stream  RTA telemetry stream (REST: ${gateway.url}/rta/v2/sessions)\n` +
      `  ${ws}/api/v1/stream/single/{path}  Tiled dataset stream (REST: ${gateway.url}/api/v1/)\n` +
      `  ${gateway.url}/health              health check\n` +
      `Try: ${gateway.simIoc ? `${config.ca.simIocPrefix}m1.RBV, ${config.ca.simIocPrefix}ai1, ` : ""}sim://sine, sim://enum, loc://setpoint(5)${demoHint(gateway)}. Ctrl-C stops.\n`,
  );
  return stopped;
}

/** The demo telemetry session, for the banner. */
function demoHint(gateway: { telemetry: { readonly demo: string | undefined } }): string {
  return gateway.telemetry.demo
    ? `, rta://${gateway.telemetry.demo}/vCar (telemetry session ${gateway.telemetry.demo})`
    : "";
}
