/**
 * `npm run bench:ca` (and the second half of `npm run bench`): the Channel Access ingest
 * benchmark. For each scenario (N PVs posted at R Hz each), four windows: the CA client and a bare
 * socket reader (the baseline), each against the CA server and against a replay server whose cost
 * per update is next to nothing. Prints a table and writes the "Channel Access ingest" section of
 * docs/benchmarks.md. Every step is bounded; the run stops by itself. Flags: `options.ts`.
 */
import { mkdirSync } from "node:fs";
import { codeVersion, commandLine, describeMachine, writeDocSection } from "@beamgate/bench-kit";
import { type Measurement, measure } from "./measure.js";
import { HELP, type Options, parseOptions } from "./options.js";
import { consoleReport, markdownReport, type Run } from "./report.js";
import { PAIRINGS } from "./scenarios.js";

const DOC = new URL("../../../../docs/benchmarks.md", import.meta.url);
/** Every step has its own time limit; this one bounds the whole run, whatever happens. */
const RUN_LIMIT_MS = 5 * 60_000;

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
    command: commandLine("packages/epics-ca/dist/bench/ingest.js", ["bench", "bench:ca"]),
    code: codeVersion(new URL("..", DOC), "packages/epics-ca/src"),
    date: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    timing: options.timing,
    results,
  };
  process.stdout.write(consoleReport(run));
  if (options.write) {
    writeDocSection(DOC, "ca-ingest", "packages/epics-ca/bench/ingest.ts", markdownReport(run));
    process.stderr.write(`wrote the Channel Access ingest section of ${DOC.pathname}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:ca failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1); // the exit handler of ipc.ts kills any child still running
});
