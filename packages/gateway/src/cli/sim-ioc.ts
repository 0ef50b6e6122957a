/**
 * `beamgate sim-ioc`: serve the simulated beamline over Channel Access, log one line saying what
 * and where to standard error, and stop on SIGINT/SIGTERM within 2 s. The simulation itself is
 * `src/sim-ioc/`.
 */
import { isIPv4 } from "node:net";
import { parseArgs } from "node:util";
import { CaEnvironmentError } from "@beamgate/epics-ca";
import { BeamgateError } from "../errors.js";
import { DEFAULT_CAMERA_PREFIX, DEFAULT_PREFIX, type SimIoc, startSimIoc } from "../sim-ioc/sim-ioc.js";
import { closeOnSignal } from "./close-on-signal.js";

const HELP = `Usage: beamgate sim-ioc [options]

Serves a simulated beamline over EPICS Channel Access: motors (PREFIX m1-m4), an areaDetector-like
camera (CAMERA_PREFIX cam1: and image1:), analog inputs with alarms, enums, strings, long strings,
waveforms and a fast counter. Every PV: docs/sim-ioc.md.

Options:
  --prefix PREFIX          prefix of the beamline's PVs (default ${DEFAULT_PREFIX})
  --camera-prefix PREFIX   prefix of the camera's PVs (default ${DEFAULT_CAMERA_PREFIX})
  --port PORT              TCP port and UDP search port, 0 for a free one (default: env
                           EPICS_CAS_SERVER_PORT, else EPICS_CA_SERVER_PORT, else 5064)
  --interface ADDRESS      IPv4 address to listen on (default: the first of env
                           EPICS_CAS_INTF_ADDR_LIST, else 127.0.0.1)
  -h, --help               print this help
`;

const FLAGS = {
  prefix: { type: "string" },
  "camera-prefix": { type: "string" },
  port: { type: "string" },
  interface: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export async function simIoc(argv: readonly string[]): Promise<number> {
  const values = parse(argv);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const prefix = pvPrefix("--prefix", values.prefix ?? DEFAULT_PREFIX);
  const cameraPrefix = pvPrefix("--camera-prefix", values["camera-prefix"] ?? DEFAULT_CAMERA_PREFIX);
  if (values.interface !== undefined && !isIPv4(values.interface)) {
    throw usage(`--interface must be an IPv4 address, not '${values.interface}'`);
  }
  const port = values.port === undefined ? undefined : portNumber(values.port);

  let ioc: SimIoc;
  try {
    ioc = await startSimIoc({
      prefix,
      cameraPrefix,
      ...(port === undefined ? {} : { port }),
      ...(values.interface === undefined ? {} : { host: values.interface }),
    });
  } catch (e) {
    if (e instanceof CaEnvironmentError) throw new BeamgateError("BG_ERR_CONFIG_INVALID", e.message, { cause: e });
    throw e;
  }
  // Signals are handled before the log line goes out: whoever reads it may signal at once.
  const stopped = closeOnSignal(() => ioc.close(), {
    stopping: () => {},
    tooSlow: () => process.stderr.write("beamgate sim-ioc: shutdown took longer than 2 s; exiting\n"),
    failed: (e) => process.stderr.write(`beamgate sim-ioc: error during shutdown: ${String(e)}\n`),
  });
  process.stderr.write(
    `beamgate sim-ioc: serving ${ioc.pvNames.length} PVs (${prefix}*, ${cameraPrefix}*) over Channel Access ` +
      `on ${ioc.host} TCP port ${ioc.ports.tcpPort}, UDP port ${ioc.ports.udpPort}; Ctrl-C stops\n`,
  );
  return stopped;
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw usage((e as Error).message.split("\n")[0]?.replace(/\.$/, "") ?? "invalid command line");
  }
}

function pvPrefix(flag: string, value: string): string {
  if (/\s/.test(value)) throw usage(`${flag} must not contain spaces: '${value}'`);
  return value;
}

function portNumber(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port <= 65535)) throw usage(`--port must be a port number (0-65535), not '${text}'`);
  return port;
}

function usage(message: string): BeamgateError {
  return new BeamgateError("BG_ERR_CLI_USAGE", `${message} (try 'beamgate sim-ioc --help')`);
}
