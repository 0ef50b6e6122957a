/**
 * `npm run bench`: the fan-out benchmark. Runs each scenario against the gateway and against the
 * raw `ws` baseline, then the idle-memory measurement, prints a table, and writes
 * docs/benchmarks.md. Every phase is bounded; the run stops by itself. Flags: `options.ts`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { describeMachine } from "@beamgate/bench-kit";
import { type IdleResult, runIdle } from "./idle.js";
import { type LoadResult, runLoad } from "./load.js";
import { HELP, type Options, parseOptions } from "./options.js";
import { consoleReport, markdownReport } from "./report.js";

const DOC = new URL("../../../../docs/benchmarks.md", import.meta.url);
/** Every step has its own time limit; this one bounds the whole run, whatever happens. */
const RUN_LIMIT_MS = 10 * 60_000;

/** The commit measured, and whether the gateway's sources differed from it. */
function codeVersion(): string {
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: new URL("..", DOC),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  try {
    const dirty = git("status", "--porcelain", "--", "packages/gateway/src") !== "";
    return `${git("rev-parse", "--short", "HEAD")}${dirty ? " with uncommitted changes to packages/gateway/src" : ""}`;
  } catch {
    return "unknown (not a git checkout)";
  }
}

/** How this run was started, as someone would type it from the repository root. */
function commandLine(): string {
  const args = process.argv.slice(2).join(" ");
  if (process.env.npm_lifecycle_event === "bench") return `npm run bench${args ? ` -- ${args}` : ""}`;
  return `node packages/gateway/dist/bench/fanout.js${args ? ` ${args}` : ""}`;
}

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
    command: commandLine(),
    code: codeVersion(),
    date: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    timing: options.timing,
    loads,
    idle,
  };
  process.stdout.write(consoleReport(run));
  if (options.write) {
    mkdirSync(new URL(".", DOC), { recursive: true });
    writeFileSync(DOC, markdownReport(run));
    process.stderr.write(`wrote ${DOC.pathname}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1); // the exit handler of ipc.ts kills any child still running
});
