/** The benchmark's command-line options (`npm run bench:fanout -- [options]`; `npm run bench` runs it with no options, then the CA bench) and their help text. */
import { parseArgs } from "node:util";
import { numberFlag } from "@beamgate/bench-kit";
import type { Timing } from "./load.js";
import { type LoadScenario, QUICK_SCENARIOS, SCENARIOS } from "./scenarios.js";

export const HELP = `Usage: npm run bench:fanout -- [options]

  --quick             ${QUICK_SCENARIOS.join(", ")} and idle only, shorter windows, fewer idle connections
  --only NAMES        comma-separated scenarios to run: ${SCENARIOS.map((s) => s.name).join(", ")}, idle
  --window SECONDS    measurement window per server (default 5; --quick 2)
  --warmup SECONDS    wait between the last client ready and the window (default 2; --quick 1)
  --client-procs N    load processes the clients (probes aside) are split between (1-4, default 1)
  --idle N            idle connections for the memory measurement (default 2000; --quick 500)
  --no-write          print only; otherwise the results replace the fan-out section of docs/benchmarks.md
  -h, --help          print this help
`;

export interface Options {
  readonly help: boolean;
  readonly scenarios: readonly LoadScenario[];
  /** 0: no idle-memory measurement. */
  readonly idleConnections: number;
  readonly timing: Timing;
  readonly write: boolean;
}

/** Parses the flags; throws on an unknown flag, scenario, or out-of-range number. */
export function parseOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      window: { type: "string" },
      warmup: { type: "string" },
      "client-procs": { type: "string" },
      idle: { type: "string" },
      "no-write": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const number = (name: string, fallback: number, min: number, max: number) =>
    numberFlag(values, name, fallback, min, max);
  const names = values.only?.split(",").map((n) => n.trim()) ?? [
    ...(values.quick ? QUICK_SCENARIOS : SCENARIOS.map((s) => s.name)),
    "idle",
  ];
  const unknown = names.filter((n) => n !== "idle" && !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(", ")} (try --help)`);
  return {
    help: values.help,
    scenarios: SCENARIOS.filter((s) => names.includes(s.name)),
    idleConnections: names.includes("idle") ? number("idle", values.quick ? 500 : 2000, 100, 10_000) : 0,
    timing: {
      windowSeconds: number("window", values.quick ? 2 : 5, 1, 30),
      warmupSeconds: number("warmup", values.quick ? 1 : 2, 0, 30),
      clientProcesses: Math.round(number("client-procs", 1, 1, 4)),
    },
    write: !values["no-write"],
  };
}
