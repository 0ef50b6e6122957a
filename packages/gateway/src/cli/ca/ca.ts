/**
 * `beamgate ca`: Channel Access command-line tools for people used to EPICS base's caget, caput,
 * camonitor and cainfo, with their flags and output. Each returns the exit code: 0 success,
 * 1 a PV not found or an operation that failed, 2 a usage error.
 */
import { BeamgateError } from "../../errors.js";
import { get } from "./get.js";
import { info } from "./info.js";
import { monitor } from "./monitor.js";
import { put } from "./put.js";

const HELP = `Usage: beamgate ca COMMAND [options] NAME...

Channel Access tools with the flags and output of EPICS base's caget, caput, camonitor, cainfo.

Commands:
  get NAME...          read PVs once (caget)
  put NAME VALUE...    write a PV and wait for completion (caput)
  monitor NAME...      print every change until Ctrl-C (camonitor)
  info NAME...         connection information (cainfo)

Servers are found as libca finds them: EPICS_CA_ADDR_LIST, EPICS_CA_AUTO_ADDR_LIST,
EPICS_CA_SERVER_PORT. 'beamgate ca COMMAND --help' lists a command's options; docs/ca-tools.md
has the details.
`;

const COMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = { get, put, monitor, info };

export async function ca(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) throw new BeamgateError("BG_ERR_CLI_USAGE", `unknown ca command '${command}' (try 'beamgate ca --help')`);
  return run(rest);
}
