/**
 * `beamgate ca info`: cainfo. Connects to every channel and prints what the client knows of it:
 * state, server, access rights, native type and element count. Exit code 1 if one did not connect.
 */
import { ACCESS, type ClientChannel, dbfText, dbrText } from "@beamgate/epics-ca";
import { commandLine } from "./options.js";
import { connect, newClient, reportNotFound } from "./session.js";

const HELP = `Usage: beamgate ca info [options] NAME...

Prints Channel Access connection information as EPICS base's cainfo does.

Options:
  -w SEC      wait time for connection (default EPICS_CLI_TIMEOUT or 1 s)
  -h, --help  print this help
`;

export async function info(argv: readonly string[]): Promise<number> {
  const line = commandLine("info", argv, "w:", HELP);
  if (!line) return 0;
  const client = newClient();
  try {
    const channels = await connect(client, line.operands, line.options.timeoutMs);
    const connected = reportNotFound(channels);
    process.stdout.write(channels.map(block).join(""));
    return connected ? 0 : 1;
  } finally {
    client.close();
  }
}

function block(channel: ClientChannel): string {
  const yes = (bit: number) => (channel.accessRights & bit ? "" : "no ");
  return `${channel.name}
    State:            ${channel.connected ? "connected" : "never connected"}
    Host:             ${channel.serverAddress ?? "<disconnected>"}
    Access:           ${yes(ACCESS.READ)}read, ${yes(ACCESS.WRITE)}write
    Native data type: ${dbfText(channel.nativeType)}
    Request type:     ${dbrText(channel.nativeType)}
    Element count:    ${channel.nativeCount}
`;
}
