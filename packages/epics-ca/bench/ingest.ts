/**
 * `npm run bench:ca` (and the second half of `npm run bench`): the Channel Access ingest
 * benchmark. For each scenario (N PVs posted at R Hz each), four windows: the CA client and a bare
 * socket reader (the baseline), each against the CA server and against a replay server whose cost
 * per update is next to nothing. Prints a table and writes the "Channel Access ingest" section of
 * docs/benchmarks.md. Every step is bounded; the run stops by itself. Flags: `options.ts`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { describeMachine } from "@beamgate/bench-kit";
import { type Measurement, measure } from "./measure.js";
import { HELP, type Options, parseOptions } from "./options.js";
import { consoleReport, type Run, replaceSection } from "./report.js";
import { PAIRINGS } from "./scenarios.js";

const DOC = new URL("../../../../docs/benchmarks.md", import.meta.url);
/** Every step has its own time limit; this one bounds the whole run, whatever happens. */
const RUN_LIMIT_MS = 5 * 60_000;

/** The commit measured, and whether the package's sources differed from it. */
function codeVersion(): string {
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: new URL("..", DOC),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  try {
    const dirty = git("status", "--porcelain", "--", "packages/epics-ca/src") !== "";
    return `${git("rev-parse", "--short", "HEAD")}${dirty ? " with uncommitted changes to packages/epics-ca/src" : ""}`;
  } catch {
    return "unknown (not a git checkout)";
  }
}

/** How this run was started, as someone would type it from the repository root. */
function commandLine(): string {
  const args = process.argv.slice(2).join(" ");
  const event = process.env.npm_lifecycle_event;
  if (event === "bench" || event === "bench:ca") return `npm run ${event}${args ? ` -- ${args}` : ""}`;
  return `node packages/epics-ca/dist/bench/ingest.js${args ? ` ${args}` : ""}`;
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench:ca: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return;
  }
  const started = Date.now();
  setTimeout(() => {
    process.stderr.write(`bench:ca: still running after ${RUN_LIMIT_MS / 60_000} min; giving up\n`);
    process.exit(1);
  }, RUN_LIMIT_MS).unref();
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  const results: { scenario: (typeof options.scenarios)[number]; measurements: Measurement[] }[] = [];
  for (const s of options.scenarios) {
    const measurements: Measurement[] = [];
    for (const { server, reader } of PAIRINGS) {
      if (!options.servers.includes(server) || !options.readers.includes(reader)) continue;
      process.stderr.write(`ca-ingest ${s.name}: ${s.pvs} PVs × ${s.hz} Hz, ${server} → ${reader} ...\n`);
      measurements.push(await measure(s, server, reader, options.timing, options.profileDir));
    }
    results.push({ scenario: s, measurements });
  }
  const run: Run = {
    machine: describeMachine(),
    command: commandLine(),
    code: codeVersion(),
    date: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    timing: options.timing,
    results,
  };
  process.stdout.write(consoleReport(run));
  if (options.write) {
    const before = existsSync(DOC) ? readFileSync(DOC, "utf8") : "";
    writeFileSync(DOC, replaceSection(before, run));
    process.stderr.write(`wrote the Channel Access ingest section of ${DOC.pathname}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:ca failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1); // the exit handler of ipc.ts kills any child still running
});
