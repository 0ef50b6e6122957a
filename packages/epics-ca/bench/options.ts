/** The ingest bench's command-line options (`npm run bench:ca -- [options]`) and their help text. */
import { parseArgs } from "node:util";
import { numberFlag } from "@beamgate/bench-kit";
import { READERS, type Reader, type Scenario, SERVERS, type Server, scenarios } from "./scenarios.js";

export const HELP = `Usage: npm run bench:ca -- [options]

  --quick             shorter windows (2 s, warm-up 0.5 s): a smoke run, not a record
  --pvs N             PVs served and monitored (default 2000)
  --hz R              posts per second of each PV in the nominal scenario (default 100)
  --max-hz R          posts per second of each PV in the saturation scenario (default 500)
  --only NAMES        comma-separated scenarios to run: nominal, saturation (default both)
  --servers NAMES     comma-separated servers: ${SERVERS.join(", ")} (default both)
  --readers NAMES     comma-separated readers: ${READERS.join(", ")} (default both)
  --window SECONDS    measurement window (default 5; --quick 2)
  --warmup SECONDS    wait between all monitors receiving and the window (default 1; --quick 0.5)
  --profile DIR       run the server and reader processes with --cpu-prof, profiles to DIR
  --no-write          print only; otherwise the results replace the "Channel Access ingest"
                      section of docs/benchmarks.md
  -h, --help          print this help
`;

export interface Timing {
  readonly warmupSeconds: number;
  readonly windowSeconds: number;
}

export interface Options {
  readonly help: boolean;
  readonly scenarios: readonly Scenario[];
  readonly servers: readonly Server[];
  readonly readers: readonly Reader[];
  readonly timing: Timing;
  readonly profileDir: string | undefined;
  readonly write: boolean;
}

/** Parses the flags; throws on an unknown flag, scenario, reader or out-of-range number. */
export function parseOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      quick: { type: "boolean", default: false },
      pvs: { type: "string" },
      hz: { type: "string" },
      "max-hz": { type: "string" },
      only: { type: "string" },
      servers: { type: "string" },
      readers: { type: "string" },
      window: { type: "string" },
      warmup: { type: "string" },
      profile: { type: "string" },
      "no-write": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const number = (name: string, fallback: number, min: number, max: number) =>
    numberFlag(values, name, fallback, min, max);
  const all = scenarios(
    Math.round(number("pvs", 2000, 1, 50_000)),
    number("hz", 100, 0.1, 10_000),
    number("max-hz", 500, 0.1, 10_000),
  );
  const names = values.only?.split(",").map((n) => n.trim()) ?? all.map((s) => s.name);
  const unknown = names.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(", ")} (try --help)`);
  const pick = <T extends string>(flag: string, raw: string | undefined, known: readonly T[]): T[] => {
    const names = raw?.split(",").map((n) => n.trim()) ?? [...known];
    const bad = names.filter((n) => !(known as readonly string[]).includes(n));
    if (bad.length > 0) throw new Error(`unknown ${flag}: ${bad.join(", ")} (try --help)`);
    return known.filter((k) => names.includes(k));
  };
  return {
    help: values.help,
    scenarios: all.filter((s) => names.includes(s.name)),
    servers: pick("server(s)", values.servers, SERVERS),
    readers: pick("reader(s)", values.readers, READERS),
    timing: {
      windowSeconds: number("window", values.quick ? 2 : 5, 1, 30),
      warmupSeconds: number("warmup", values.quick ? 0.5 : 1, 0, 30),
    },
    profileDir: values.profile,
    write: !values["no-write"],
  };
}
