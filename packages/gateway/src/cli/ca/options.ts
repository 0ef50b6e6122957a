/**
 * What the CA tools' shared flags mean: the wait time `-w` (seconds; default EPICS_CLI_TIMEOUT or
 * 1, as EPICS base's tools; 0 waits without end), the element count `-#`, enums as numbers `-n`,
 * floats read as strings `-s`, CHAR arrays as strings `-S`, and the float format `-e|-f|-g <n>`.
 * Each command lists the flags it takes in its getopt spec; this reads whichever are there.
 */
import { getopt, type Parsed, usageError } from "./getopt.js";
import { DEFAULT_FLOAT_FORMAT, type FloatFormat } from "./printf.js";

export interface FormatOptions {
  readonly enumAsNumber: boolean;
  readonly floatAsString: boolean;
  readonly charAsString: boolean;
  /** Elements to ask for; 0 asks for all (caget's and camonitor's `reqElems`). */
  readonly count: number;
  readonly float: FloatFormat;
}

export interface CommonOptions extends FormatOptions {
  readonly timeoutMs: number;
}

/** A command's flags, operands and the shared options they set. */
export interface CommandLine extends Parsed {
  readonly options: CommonOptions;
}

/**
 * Parses a command's arguments (`spec` as getopt's); undefined once `help` is printed for `-h`.
 * Every command needs a PV name.
 */
export function commandLine(
  command: string,
  argv: readonly string[],
  spec: string,
  help: string,
  stopAtOperand = false,
): CommandLine | undefined {
  const parsed = getopt(command, argv, spec, stopAtOperand);
  if (parsed.help) {
    process.stdout.write(help);
    return undefined;
  }
  const options = commonOptions(command, parsed);
  if (parsed.operands.length === 0) throw usageError(command, "no PV name given");
  return { ...parsed, options };
}

const DEFAULT_TIMEOUT_SECONDS = 1;
/** The longest delay setTimeout takes (about 24.8 days): "no end" for `-w 0`. */
const FOREVER_MS = 2 ** 31 - 1;
/** caget's VALID_DOUBLE_DIGITS. */
const MAX_DIGITS = 18;

function commonOptions(command: string, { flags }: Parsed, env = process.env): CommonOptions {
  const has = (letter: string) => flags.some(([l]) => l === letter);
  const last = (letters: string) => flags.findLast(([l]) => letters.includes(l));
  const wait = last("w");
  const count = last("#");
  const float = last("efg");
  return {
    timeoutMs: wait
      ? seconds(command, "-w", wait[1])
      : env.EPICS_CLI_TIMEOUT
        ? seconds(command, "EPICS_CLI_TIMEOUT", env.EPICS_CLI_TIMEOUT)
        : DEFAULT_TIMEOUT_SECONDS * 1000,
    enumAsNumber: has("n"),
    floatAsString: has("s"),
    charAsString: has("S"),
    count: count ? integer(command, "-#", count[1]) : 0,
    float: float
      ? {
          conversion: float[0] as FloatFormat["conversion"],
          precision: integer(command, `-${float[0]}`, float[1], MAX_DIGITS),
        }
      : DEFAULT_FLOAT_FORMAT,
  };
}

function seconds(command: string, what: string, text: string): number {
  const s = text.trim() === "" ? Number.NaN : Number(text);
  if (!(s >= 0)) throw usageError(command, `${what} needs a number of seconds, not '${text}'`);
  return s === 0 ? FOREVER_MS : Math.min(Math.round(s * 1000), FOREVER_MS);
}

function integer(command: string, what: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  const range = max < Number.MAX_SAFE_INTEGER ? ` from 0 to ${max}` : "";
  if (!(n <= max)) throw usageError(command, `${what} needs a whole number${range}, not '${text}'`);
  return n;
}
