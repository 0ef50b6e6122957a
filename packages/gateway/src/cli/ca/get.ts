/**
 * `beamgate ca get`: caget. Reads every channel once and prints the values as caget does, in the
 * order named; exit code 1 if a channel did not connect or a read failed.
 */

import { parseDbrType } from "@beamgate/epics-ca";
import { dbrDetail } from "./dbr-detail.js";
import { plainLine, type Reading, terseLine, wideLine } from "./format.js";
import { usageError } from "./getopt.js";
import { type CommonOptions, commandLine } from "./options.js";
import { connect, newClient, read, reportNotFound, reportReadTimeouts, timeType } from "./session.js";

const HELP = `Usage: beamgate ca get [options] NAME...

Reads Channel Access PVs once, printing them as EPICS base's caget does.

Options:
  -w SEC      wait time for connection and reads (default EPICS_CLI_TIMEOUT or 1 s; 0: no end)
  -t          terse: the value only, without the name
  -a          wide: name, time stamp, value, alarm status and severity (reads DBR_TIME_*)
  -d TYPE     read as a DBR type, by name (DBR_CTRL_DOUBLE, CTRL_DOUBLE) or number (34),
              and print every field of it
  -c          asynchronous get (accepted for caget's sake: every read here waits for its reply)
  -n          enums as numbers (default: their labels)
  -s          floating-point values as strings, formatted by the server's precision
  -S          print a CHAR array as a string (long strings)
  -# COUNT    read at most COUNT elements of an array
  -e N, -f N, -g N   print floating-point values with %e, %f or %g and N digits (default %g)
  -h, --help  print this help

Servers are found from EPICS_CA_ADDR_LIST, EPICS_CA_AUTO_ADDR_LIST and EPICS_CA_SERVER_PORT.
`;

type Mode = { readonly kind: "plain" | "terse" | "wide" } | { readonly kind: "dbr"; readonly type: number };

export async function get(argv: readonly string[]): Promise<number> {
  const line = commandLine("get", argv, "tacnsSd:#:e:f:g:w:", HELP);
  if (!line) return 0;
  const { options } = line;
  const mode = outputMode(line.flags);

  const client = newClient();
  try {
    const channels = await connect(client, line.operands, options.timeoutMs);
    const connected = reportNotFound(channels);
    const results = await Promise.all(
      channels.map(async (channel) => {
        const type = mode.kind === "dbr" ? mode.type : timeType(channel, options);
        return { channel, reading: await read(channel, type, options) };
      }),
    );
    const readings = results.map((r) => r.reading);
    reportReadTimeouts(readings);
    const lines = results.flatMap(({ channel, reading }) =>
      print(mode, channel.name, channel.nativeType, reading, options),
    );
    process.stdout.write(`${lines.join("\n")}\n`);
    return connected && readings.every((r) => r.kind === "value") ? 0 : 1;
  } finally {
    client.close();
  }
}

function print(mode: Mode, name: string, nativeType: number, reading: Reading, options: CommonOptions): string[] {
  switch (mode.kind) {
    case "plain":
      return [plainLine(name, reading, options)];
    case "terse":
      return [terseLine(reading, options)];
    case "wide":
      return [wideLine(name, reading, options)];
    case "dbr":
      return dbrDetail(name, nativeType, reading, options);
  }
}

/** -t, -a and -d choose the output; caget allows one of them. */
function outputMode(flags: ReadonlyArray<readonly [string, string]>): Mode {
  const chosen = flags.filter(([letter]) => "tad".includes(letter));
  if (chosen.length > 1) throw usageError("get", "options -t, -a and -d are mutually exclusive");
  const [letter, value] = chosen[0] ?? ["", ""];
  if (letter === "t") return { kind: "terse" };
  if (letter === "a") return { kind: "wide" };
  if (letter !== "d") return { kind: "plain" };
  const type = parseDbrType(value);
  if (type === undefined)
    throw usageError("get", `-d needs a DBR type from DBR_STRING (0) to DBR_CTRL_DOUBLE (34), not '${value}'`);
  return { kind: "dbr", type };
}
