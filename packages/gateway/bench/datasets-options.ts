/** The datasets bench's command-line options (`npm run bench:datasets -- [options]`) and their help text. */
import { parseArgs } from "node:util";
import { numberFlag } from "@beamgate/bench-kit";

export const HELP = `Usage: npm run bench:datasets -- [options]

  --latency-rate R    paced appends per second of the latency phase (default 200)
  --latency-seconds S measured seconds of the latency phase (default 5, after 0.5 s not counted)
  --append-elements N float64 elements per small append (default 128: 1 KiB)
  --subscribers LIST  comma-separated msgpack subscribers of the appends/s scenarios (default 0,100;
                      the first is the baseline)
  --inflight N        appends in flight at once in the appends/s scenarios (default 4)
  --fanout LIST       comma-separated subscribers of the 1 MiB fan-out scenarios (default 1,10,50)
  --frame-mib M       size of the fan-out frames, MiB (default 1)
  --window SECONDS    measured window of each appends/s and fan-out scenario (default 4)
  --warmup SECONDS    writes before each window starts (default 1)
  --profile DIR       CPU profiles of the gateway (node:inspector) over each measured span, written
                      to DIR as gateway-*.cpuprofile (implies --no-write)
  --no-write          print only; otherwise the results replace the "Datasets (Tiled)" section of
                      docs/benchmarks.md
  -h, --help          print this help
`;

export interface Options {
  readonly help: boolean;
  readonly latencyRate: number;
  readonly latencySeconds: number;
  readonly appendElements: number;
  readonly subscribers: readonly number[];
  readonly inflight: number;
  readonly fanout: readonly number[];
  readonly frameMiB: number;
  readonly windowSeconds: number;
  readonly warmupSeconds: number;
  readonly profileDir: string | undefined;
  readonly write: boolean;
}

function list(text: string, flag: string, max: number): number[] {
  const values = text.split(",").map((c) => Number(c.trim()));
  if (values.length === 0 || !values.every((c) => Number.isInteger(c) && c >= 0 && c <= max)) {
    throw new Error(`--${flag} must be a comma-separated list of integers from 0 to ${max}`);
  }
  return values;
}

export function parseOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      "latency-rate": { type: "string" },
      "latency-seconds": { type: "string" },
      "append-elements": { type: "string" },
      subscribers: { type: "string" },
      inflight: { type: "string" },
      fanout: { type: "string" },
      "frame-mib": { type: "string" },
      window: { type: "string" },
      warmup: { type: "string" },
      profile: { type: "string" },
      "no-write": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const number = (name: string, fallback: number, min: number, max: number) =>
    numberFlag(values, name, fallback, min, max);
  const fanout = list(values.fanout ?? "1,10,50", "fanout", 200);
  if (fanout.includes(0)) throw new Error("--fanout needs at least one subscriber per scenario");
  return {
    help: values.help,
    latencyRate: number("latency-rate", 200, 1, 2000),
    latencySeconds: number("latency-seconds", 5, 1, 60),
    appendElements: Math.round(number("append-elements", 128, 1, 1_000_000)),
    subscribers: list(values.subscribers ?? "0,100", "subscribers", 1000),
    inflight: Math.round(number("inflight", 4, 1, 64)),
    fanout,
    frameMiB: number("frame-mib", 1, 0.125, 16),
    windowSeconds: number("window", 4, 1, 30),
    warmupSeconds: number("warmup", 1, 0, 30),
    profileDir: values.profile,
    write: !values["no-write"] && values.profile === undefined,
  };
}
