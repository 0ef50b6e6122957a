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
  --allowed-origins LIST  browser origins allowed besides beamgate's own and loopback pages
                          (comma list or JSON array; env BEAMGATE_ALLOWED_ORIGINS or OAS_ALLOWED_ORIGINS)
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
  "allowed-origins": { type: "string" },
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
  "allowed-origins": "allowedOrigins",
  "log-level": "logLevel",
};

export async function serve(argv: readonly string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
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
  const config = loadConfig({ file: values.config as string | undefined, env: process.env, flags });
  const log = createLogger(config.logLevel);
  const gateway = await startGateway(config, log);

  // Signals are handled before the banner goes out: whoever reads it may signal at once.
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
      `  ${gateway.url}/health              health check\n` +
      `Try: ${gateway.simIoc ? `${config.ca.simIocPrefix}m1.RBV, ${config.ca.simIocPrefix}ai1, ` : ""}sim://sine, sim://enum, loc://setpoint(5). Ctrl-C stops.\n`,
  );
  return stopped;
}
