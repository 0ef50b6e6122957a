/**
 * The `beamgate` command. `beamgate serve` runs the gateway; `beamgate --help` lists commands.
 * Returns the process exit code: 0 success, 1 runtime failure, 2 usage or configuration error.
 */
import { BeamgateError } from "../errors.js";
import { VERSION } from "../version.js";
import { serve } from "./serve.js";

const HELP = `beamgate ${VERSION}: one gateway streaming live control-system and experiment data over WebSockets

Usage:
  beamgate serve [options]   run the gateway (see: beamgate serve --help)
  beamgate --version         print the version
  beamgate --help            print this help
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "serve":
        return await serve(rest);
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
