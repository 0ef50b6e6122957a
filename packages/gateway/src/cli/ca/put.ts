/**
 * `beamgate ca put`: caput. Prints the old value, writes and waits for the server to report the
 * write complete (every put here is ca_put_callback's WRITE_NOTIFY, so `-c` changes nothing),
 * then prints the new value; a refused or unfinished write is one stderr line and exit code 1.
 */
import { ACCESS, CaRequestError, type ClientChannel, caMessage, dbrType, ECA } from "@beamgate/epics-ca";
import { plainLine, type Reading, terseLine, wideLine } from "./format.js";
import { type Parsed, usageError } from "./getopt.js";
import { type CommonOptions, commandLine } from "./options.js";
import { type PutValue, PutValueError, type PutValueOptions, putValue } from "./put-value.js";
import { connect, newClient, read, reportNotFound, timeType } from "./session.js";

const HELP = `Usage: beamgate ca put [options] NAME VALUE...
       beamgate ca put -a [options] NAME COUNT VALUE...

Writes a Channel Access PV and waits for completion, printing the old and new values as EPICS
base's caput does. Options come before NAME, so a negative VALUE is not taken for one.

Options:
  -w SEC      wait time for connection, reads and the write (default EPICS_CLI_TIMEOUT or 1 s)
  -c          wait for completion (always done; accepted for caput's sake)
  -t          terse: print only the new value
  -l          long: name, time stamp, value, alarm status and severity
  -n          enum values are index numbers
  -s          enum values are labels (default: a label, else an index number)
  -S          write the string as a CHAR array (long strings)
  -a          write an array: COUNT, then the elements
  -h, --help  print this help

Values take C escapes (\\n, \\t, \\x41). Without -a, all VALUE arguments are joined by spaces.
`;

type Output = "plain" | "terse" | "long";

export async function put(argv: readonly string[]): Promise<number> {
  const line = commandLine("put", argv, "ctlnsSaw:", HELP, true);
  if (!line) return 0;
  // caput's -s is about enums, not caget's floats-as-strings.
  const options = { ...line.options, floatAsString: false };
  const { name, values, valueOptions, output } = putArguments(line);
  const print = (reading: Reading) =>
    output === "terse"
      ? terseLine(reading, options)
      : output === "long"
        ? wideLine(name, reading, options)
        : plainLine(name, reading, options);

  const client = newClient();
  try {
    const [channel] = await connect(client, [name], options.timeoutMs);
    if (!channel || !reportNotFound([channel])) return 1;
    const payload = await valueFor(channel, values, valueOptions, options);
    if (!payload) return 1;
    const type = timeType(channel, options);
    if (output !== "terse") process.stdout.write(`Old : ${print(await read(channel, type, options))}\n`);
    if (!(await write(channel, payload, options))) return 1;
    const after = await read(channel, type, options);
    process.stdout.write(`${output === "terse" ? "" : "New : "}${print(after)}\n`);
    return after.kind === "value" ? 0 : 1;
  } finally {
    client.close();
  }
}

/** NAME, then the values (after the count with -a); for -n/-s and -a/-S the last given wins, as in caput. */
function putArguments({ flags, operands }: Parsed) {
  const last = (letters: string) => flags.findLast(([letter]) => letters.includes(letter))?.[0];
  const valueOptions: PutValueOptions = {
    array: last("aS") === "a",
    charArray: last("aS") === "S",
    enumAs: last("ns") === "n" ? "number" : last("ns") === "s" ? "label" : "auto",
  };
  const output: Output = last("tl") === "t" ? "terse" : last("tl") === "l" ? "long" : "plain";
  const [name, ...args] = operands as [string, ...string[]]; // commandLine saw to a name
  if (valueOptions.array && !/^\d+$/.test(args[0] ?? "")) {
    throw usageError("put", `-a needs the number of values before them, not '${args[0] ?? ""}'`);
  }
  const values = valueOptions.array ? args.slice(1) : args;
  if (values.length === 0) throw usageError("put", "no value given");
  return { name, values, valueOptions, output };
}

/** The value to write, or undefined after saying on stderr why there is none. */
async function valueFor(
  channel: ClientChannel,
  values: readonly string[],
  valueOptions: PutValueOptions,
  options: CommonOptions,
): Promise<PutValue | undefined> {
  let labels: readonly string[] | undefined;
  if (channel.nativeBase === "ENUM") {
    const gr = await read(channel, dbrType("GR", "ENUM"), { ...options, count: 1 });
    if (gr.kind !== "value") {
      process.stderr.write("Read operation timed out: ENUM data was not read.\n");
      return undefined;
    }
    labels = gr.value.enumStrings ?? [];
  }
  try {
    const payload = putValue(values, valueOptions, labels);
    for (const warning of payload.warnings) process.stderr.write(`${warning}\n`);
    return payload;
  } catch (e) {
    if (!(e instanceof PutValueError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return undefined;
  }
}

/** Writes and waits for completion; false after saying on stderr why it failed. */
async function write(channel: ClientChannel, payload: PutValue, options: CommonOptions): Promise<boolean> {
  // libca refuses a put without write access before sending it (ca_array_put returns ECA_NOWTACCESS).
  if (!(channel.accessRights & ACCESS.WRITE)) {
    process.stderr.write(`Error from put operation: ${caMessage(ECA.NOWTACCESS)}\n`);
    return false;
  }
  try {
    await channel.put(payload.value, { base: payload.base, timeoutMs: options.timeoutMs });
    return true;
  } catch (e) {
    if (!(e instanceof CaRequestError)) throw e;
    process.stderr.write(
      e.status === ECA.TIMEOUT
        ? "Write operation timed out: Data was not written.\n"
        : `Error occurred writing data: ${caMessage(e.status)}\n`,
    );
    return false;
  }
}
