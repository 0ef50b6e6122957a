/**
 * `npm run bench:fanout` (and the first half of `npm run bench`): the fan-out benchmark. Runs each
 * scenario against the gateway and against the raw `ws` baseline, then the idle-memory
 * measurement, prints a table, and writes the fan-out section of docs/benchmarks.md. Every phase
 * is bounded; the run stops by itself. Flags: `options.ts`.
 */
import { readFlags, runBench, runRecord, writeDocSection } from "@beamgate/bench-kit";
import { type IdleResult, runIdle } from "./idle.js";
import { type LoadResult, runLoad } from "./load.js";
import { HELP, parseOptions } from "./options.js";
import { consoleReport, markdownReport } from "./report.js";

const DOC = new URL("../../../../docs/benchmarks.md", import.meta.url);
/** Every step has its own time limit; this one bounds the whole run, whatever happens. */
const RUN_LIMIT_MS = 10 * 60_000;

async function main(): Promise<void> {
  const options = readFlags("bench", HELP, parseOptions);
  if (!options) return;
  const started = Date.now();
  const loads: LoadResult[] = [];
  for (const s of options.scenarios) {
    process.stderr.write(`${s.name}: ${s.clients} clients × ${s.pvs} PVs at ${s.hz} Hz ...\n`);
    loads.push(await runLoad(s, options.timing));
  }
  let idle: IdleResult[] = [];
  if (options.idleConnections > 0) {
    process.stderr.write(`idle: ${options.idleConnections} connections ...\n`);
    idle = await runIdle(options.idleConnections);
  }
  const run = {
    ...runRecord({
      repoRoot: new URL("..", DOC),
      sources: "packages/gateway/src",
      script: "packages/gateway/dist/bench/fanout.js",
      npmScripts: ["bench", "bench:fanout"],
      started,
    }),
    timing: options.timing,
    loads,
    idle,
  };
  process.stdout.write(consoleReport(run));
  if (options.write) {
    writeDocSection(DOC, "fan-out", "packages/gateway/bench/fanout.ts", markdownReport(run));
    process.stderr.write(`wrote the fan-out section of ${DOC.pathname}\n`);
  }
}

runBench("bench", RUN_LIMIT_MS, main);
