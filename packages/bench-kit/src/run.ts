/**
 * What every benchmark's entry point does: read its flags (help, usage errors with exit code 2),
 * bound the whole run in time, fail loudly, and keep a record of the run (machine, commit, command,
 * duration) that its report opens with.
 */

import { describeMachine, type Machine } from "./machine.js";
import { codeVersion, commandLine } from "./run-info.js";

/** Parses the flags with `parse`; prints `help` or the usage error (exit code 2) and returns undefined then. */
export function readFlags<O extends { readonly help: boolean }>(
  name: string,
  help: string,
  parse: (args: readonly string[]) => O,
): O | undefined {
  let options: O;
  try {
    options = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${name}: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return undefined;
  }
  if (!options.help) return options;
  process.stdout.write(help);
  return undefined;
}

/** Runs `main`, giving up after `limitMs` whatever happens; a failure exits with 1 (children are killed by ipc.ts). */
export function runBench(name: string, limitMs: number, main: () => Promise<void>): void {
  setTimeout(() => {
    process.stderr.write(`${name}: still running after ${limitMs / 60_000} min; giving up\n`);
    process.exit(1);
  }, limitMs).unref();
  main().catch((e: unknown) => {
    process.stderr.write(`${name} failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}

export interface RunRecord {
  readonly machine: Machine;
  readonly command: string;
  /** The commit measured. */
  readonly code: string;
  readonly date: string;
  readonly seconds: number;
}

/** The record of a run that started at `started` (ms): `script` and `npmScripts` as `commandLine` takes them. */
export function runRecord(o: {
  readonly repoRoot: URL;
  readonly sources: string;
  readonly script: string;
  readonly npmScripts: readonly string[];
  readonly started: number;
}): RunRecord {
  return {
    machine: describeMachine(),
    command: commandLine(o.script, o.npmScripts),
    code: codeVersion(o.repoRoot, o.sources),
    date: new Date().toISOString(),
    seconds: (Date.now() - o.started) / 1000,
  };
}

/**
 * The opening of a report section: its title, who wrote it, the machine and the command, ending
 * with the run's duration and `timing` (how the windows were measured).
 */
export function recordHeader(title: string, writer: string, r: RunRecord, timing: string, note = ""): string[] {
  const m = r.machine;
  return [
    `# ${title}`,
    "",
    `Written by \`${writer}\` from one run on ${r.date.slice(0, 10)}. Do not edit by hand: run the command again.${note ? ` ${note}` : ""}`,
    "",
    "## Machine",
    "",
    `- CPU: ${m.cpuModel}, ${m.cores} cores (nproc)`,
    `- Memory: ${m.memoryGiB} GiB`,
    `- Node: ${m.node}`,
    `- OS: ${m.kernel}`,
    "",
    "## Command",
    "",
    `Commit ${r.code}, from the repository root:`,
    "",
    "```sh",
    r.command,
    "```",
    "",
    `The run took ${r.seconds.toFixed(0)} s. ${timing}`,
  ];
}

/** A numeric flag of `parseArgs` values: its value, or `fallback` when absent; throws outside `min`..`max`. */
export function numberFlag(
  values: Readonly<Record<string, unknown>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = values[name];
  const n = typeof raw === "string" ? Number(raw) : fallback;
  if (!(n >= min && n <= max)) throw new Error(`--${name} must be a number from ${min} to ${max}`);
  return n;
}
