/**
 * `npm run bench:fanout` (and the first half of `npm run bench`): the fan-out benchmark. Runs each
 * scenario against the gateway and against the raw `ws` baseline, then the idle-memory
 * measurement, prints a table, and writes the fan-out section of docs/benchmarks.md. Every phase
 * is bounded; the run stops by itself. Flags: `options.ts`.
 */
import { codeVersion, commandLine, describeMachine, writeDocSection } from "@beamgate/bench-kit";
import { type IdleResult, runIdle } from "./idle.js";
import { type LoadResult, runLoad } from "./load.js";
import { HELP, type Options, parseOptions } from "./options.js";
import { consoleReport, markdownReport } from "./report.js";

const DOC = new URL("../../../../docs/benchmarks.md", import.meta.url);
/** Every step has its own time limit; this one bounds the whole run, whatever happens. */
const RUN_LIMIT_MS = 10 * 60_000;

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return;
  }
  const started = Date.now();
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${RUN_LIMIT_MS / 60_000} min; giving up\n`);
    process.exit(1);
  }, RUN_LIMIT_MS).unref();
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
    machine: describeMachine(),
    command: commandLine("packages/gateway/dist/bench/fanout.js", ["bench", "bench:fanout"]),
    code: codeVersion(new URL("..", DOC), "packages/gateway/src"),
    date: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
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

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1); // the exit handler of ipc.ts kills any child still running
});
