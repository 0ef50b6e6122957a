/**
 * `npm run bench:ca` (and the second half of `npm run bench`): the Channel Access ingest
 * benchmark. For each scenario (N PVs posted at R Hz each), four windows: the CA client and a bare
 * socket reader (the baseline), each against the CA server and against a replay server whose cost
 * per update is next to nothing. Prints a table and writes the "Channel Access ingest" section of
 * docs/benchmarks.md. Every step is bounded; the run stops by itself. Flags: `options.ts`.
 */
import { mkdirSync } from "node:fs";
import { readFlags, runBench, runRecord, writeDocSection } from "@beamgate/bench-kit";
import { type Measurement, measure } from "./measure.js";
import { HELP, parseOptions } from "./options.js";
import { consoleReport, markdownReport, type Run } from "./report.js";
import { PAIRINGS } from "./scenarios.js";

const DOC = new URL("../../../../docs/benchmarks.md", import.meta.url);
/** Every step has its own time limit; this one bounds the whole run, whatever happens. */
const RUN_LIMIT_MS = 5 * 60_000;

async function main(): Promise<void> {
  const options = readFlags("bench:ca", HELP, parseOptions);
  if (!options) return;
  const started = Date.now();
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
    ...runRecord({
      repoRoot: new URL("..", DOC),
      sources: "packages/epics-ca/src",
      script: "packages/epics-ca/dist/bench/ingest.js",
      npmScripts: ["bench", "bench:ca"],
      started,
    }),
    timing: options.timing,
    results,
  };
  process.stdout.write(consoleReport(run));
  if (options.write) {
    writeDocSection(DOC, "ca-ingest", "packages/epics-ca/bench/ingest.ts", markdownReport(run));
    process.stderr.write(`wrote the Channel Access ingest section of ${DOC.pathname}\n`);
  }
}

runBench("bench:ca", RUN_LIMIT_MS, main);
