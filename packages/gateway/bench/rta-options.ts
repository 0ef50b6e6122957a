/** The RTA bench's command-line options (`npm run bench:rta -- [options]`) and their help text. */
import { parseArgs } from "node:util";
import { numberFlag } from "@beamgate/bench-kit";

export const HELP = `Usage: npm run bench:rta -- [options]

  --clients LIST      comma-separated stream clients of the throughput scenarios (default 0,1,10;
                      the first is the ratios' baseline and the session read back over REST)
  --window SECONDS    throughput window per scenario (default 5)
  --warmup SECONDS    appends before the window starts (default 1.5)
  --inflight N        appends in flight at once (default 4)
  --channels N        periodic f64 channels, one item each per append (default 64)
  --samples N         samples per item of the throughput appends (default 128)
  --latency-rate R    paced single-item appends per second of the latency phase (default 200)
  --profile DIR       CPU profiles of the gateway (node:inspector) over each measured span, written
                      to DIR as gateway-*.cpuprofile (implies --no-write)
  --no-write          print only; otherwise the results replace the "RTA telemetry" section of
                      docs/benchmarks.md
  -h, --help          print this help
`;

export interface Options {
  readonly help: boolean;
  readonly clients: readonly number[];
  readonly windowSeconds: number;
  readonly warmupSeconds: number;
  readonly inflight: number;
  readonly channels: number;
  readonly samples: number;
  readonly latencyRate: number;
  readonly profileDir: string | undefined;
  readonly write: boolean;
}

export function parseOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      clients: { type: "string" },
      window: { type: "string" },
      warmup: { type: "string" },
      inflight: { type: "string" },
      channels: { type: "string" },
      samples: { type: "string" },
      "latency-rate": { type: "string" },
      profile: { type: "string" },
      "no-write": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const number = (name: string, fallback: number, min: number, max: number) =>
    numberFlag(values, name, fallback, min, max);
  const clients = (values.clients ?? "0,1,10").split(",").map((c) => Number(c.trim()));
  if (clients.length === 0 || !clients.every((c) => Number.isInteger(c) && c >= 0 && c <= 50)) {
    throw new Error("--clients must be a comma-separated list of integers from 0 to 50");
  }
  return {
    help: values.help,
    clients,
    windowSeconds: number("window", 5, 1, 30),
    warmupSeconds: number("warmup", 1.5, 0, 30),
    inflight: Math.round(number("inflight", 4, 1, 64)),
    channels: Math.round(number("channels", 64, 1, 4096)),
    samples: Math.round(number("samples", 128, 1, 10_000)),
    latencyRate: number("latency-rate", 200, 1, 2000),
    profileDir: values.profile,
    write: !values["no-write"] && values.profile === undefined,
  };
}
