/**
 * `beamgate ca monitor`: camonitor. Subscribes to every channel once it connects and prints each
 * update, each disconnection and, after `-w`, the channels not found yet (they may connect later);
 * runs until SIGINT or SIGTERM, then closes the client and exits 0.
 */
import { type ClientChannel, DBE, ECA } from "@beamgate/epics-ca";
import { type Reading, wideLine } from "./format.js";
import { usageError } from "./getopt.js";
import { type CommonOptions, commandLine } from "./options.js";
import { newClient, requestCount, timeType } from "./session.js";

const HELP = `Usage: beamgate ca monitor [options] NAME...

Prints every change of Channel Access PVs as EPICS base's camonitor does, until Ctrl-C:
name, time stamp, value, and the alarm status and severity when not NO_ALARM.

Options:
  -w SEC      wait time before reporting PVs not found (default EPICS_CLI_TIMEOUT or 1 s)
  -m MASK     events to ask for: any of v (value), a (alarm), l (log/archive), p (property);
              default va
  -n          enums as numbers (default: their labels)
  -s          floating-point values as strings, formatted by the server's precision
  -S          print a CHAR array as a string (long strings)
  -# COUNT    ask for at most COUNT elements of an array (default: as many as it holds)
  -e N, -f N, -g N   print floating-point values with %e, %f or %g and N digits (default %g)
  -h, --help  print this help
`;

const MASK_LETTERS: Record<string, number> = { v: DBE.VALUE, a: DBE.ALARM, l: DBE.LOG, p: DBE.PROPERTY };

export async function monitor(argv: readonly string[]): Promise<number> {
  const line = commandLine("monitor", argv, "nsSm:#:e:f:g:w:", HELP);
  if (!line) return 0;
  const { options } = line;
  const mask = eventMask(line.flags.findLast(([letter]) => letter === "m")?.[1] ?? "va");

  const client = newClient();
  const print = (name: string, reading: Reading) => process.stdout.write(`${wideLine(name, reading, options)}\n`);
  const channels = line.operands.map((name) => client.channel(name));
  for (const channel of channels) watch(channel, mask, options, print);
  const notFound = setTimeout(() => {
    for (const channel of channels) if (!channel.connected) print(channel.name, { kind: "notConnected" });
  }, options.timeoutMs);

  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
    process.stdout.once("error", () => resolve()); // a closed pipe (`| head`) ends it too
  });
  clearTimeout(notFound);
  client.close();
  return 0;
}

/**
 * Subscribes on the first connection, when the native type is known; the client re-makes the
 * subscription after a reconnection, so later connections only need the disconnections printed.
 */
function watch(
  channel: ClientChannel,
  mask: number,
  options: CommonOptions,
  print: (name: string, reading: Reading) => void,
): void {
  let subscribed = false;
  channel.onConnection = (connected) => {
    if (!connected) return print(channel.name, { kind: "failed", status: ECA.DISCONN });
    if (subscribed) return;
    subscribed = true;
    // camonitor's default count 0 asks for what the array holds now, not its maximum.
    const count = options.count > 0 ? requestCount(channel, options) : 0;
    channel.monitor((value) => print(channel.name, { kind: "value", value }), {
      dataType: timeType(channel, options),
      count,
      mask,
    });
  };
}

function eventMask(letters: string): number {
  let mask = 0;
  for (const letter of letters) {
    const bit = MASK_LETTERS[letter];
    if (bit === undefined) throw usageError("monitor", `-m takes the letters v, a, l and p, not '${letters}'`);
    mask |= bit;
  }
  if (mask === 0) throw usageError("monitor", "-m needs at least one of v, a, l and p");
  return mask;
}
