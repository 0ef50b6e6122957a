/**
 * A getopt(3)-style parser for the CA tools' short flags, as EPICS base's tools take them:
 * clusters (`-tn`), values attached or apart (`-f8`, `-w 2`, `-#5`), `--` ends the options, and
 * `-h`/`--help` ask for help. Node's util.parseArgs cannot stop at the first operand, which caput
 * needs so that a negative value is not read as a flag (`caput PV -5`).
 */
import { BeamgateError } from "../../errors.js";

export interface Parsed {
  /** Flags in command-line order, with their values ("" for a flag without one). */
  readonly flags: ReadonlyArray<readonly [letter: string, value: string]>;
  readonly operands: readonly string[];
  readonly help: boolean;
}

/**
 * `spec` lists the flags as getopt's optstring does: a letter, then `:` when it takes a value.
 * With `stopAtOperand` (caput), everything from the first operand on is an operand; otherwise
 * flags and operands mix, as GNU getopt lets caget's do.
 */
export function getopt(command: string, argv: readonly string[], spec: string, stopAtOperand = false): Parsed {
  const flags: Array<readonly [string, string]> = [];
  const operands: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "--help") {
      help = true;
      continue;
    }
    if (arg.startsWith("--")) throw usageError(command, `unknown option '${arg}'`);
    if (!arg.startsWith("-") || arg === "-") {
      if (stopAtOperand) {
        operands.push(...argv.slice(i));
        break;
      }
      operands.push(arg);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] as string;
      if (letter === "h") {
        help = true;
        continue;
      }
      const at = letter === ":" ? -1 : spec.indexOf(letter);
      if (at < 0) throw usageError(command, `unknown option '-${letter}'`);
      if (spec[at + 1] !== ":") {
        flags.push([letter, ""]);
        continue;
      }
      const value = j + 1 < arg.length ? arg.slice(j + 1) : argv[++i];
      if (value === undefined) throw usageError(command, `option '-${letter}' needs a value`);
      flags.push([letter, value]);
      break;
    }
  }
  return { flags, operands, help };
}

/** Exit code 2 with a pointer to the command's help. */
export function usageError(command: string, message: string): BeamgateError {
  return new BeamgateError("BG_ERR_CLI_USAGE", `ca ${command}: ${message} (try 'beamgate ca ${command} --help')`);
}
