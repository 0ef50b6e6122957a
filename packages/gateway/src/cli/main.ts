/**
 * The `beamgate` command. `beamgate serve` runs the gateway; `beamgate --help` lists commands.
 * Returns the process exit code: 0 success, 1 runtime failure, 2 usage or configuration error.
 */
import { BeamgateError } from "../errors.js";
import { VERSION } from "../version.js";
import { ca } from "./ca/ca.js";
import { keys } from "./keys.js";
import { serve } from "./serve.js";
import { simIoc } from "./sim-ioc.js";

const HELP = `beamgate ${VERSION}: one gateway streaming live control-system and experiment data over WebSockets

Usage:
  beamgate serve [options]   run the gateway (see: beamgate serve --help)
  beamgate ca COMMAND ...    Channel Access tools: get, put, monitor, info (see: beamgate ca --help)
  beamgate keys COMMAND ...  API keys: create, list, revoke (see: beamgate keys --help)
  beamgate sim-ioc [options] serve a simulated beamline over Channel Access (see: beamgate sim-ioc --help)
  beamgate --version         print the version
  beamgate --help            print this help
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "serve":
        return await serve(rest);
      case "ca":
        return await ca(rest);
      case "keys":
        return await keys(rest);
      case "sim-ioc":
        return await simIoc(rest);
      case "--version":
      case "-v":
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case undefined:
      case "--help":
      case "-h":
      case "help":
        process.stdout.write(HELP);
        return 0;
      default:
        throw new BeamgateError("BG_ERR_CLI_USAGE", `unknown command '${command}' (try 'beamgate --help')`);
    }
  } catch (e) {
    if (e instanceof BeamgateError && e.code.startsWith("BG_ERR_C")) {
      process.stderr.write(`beamgate: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`beamgate: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
