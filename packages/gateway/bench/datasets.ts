/**
 * `npm run bench:datasets` (and a part of `npm run bench`): the Tiled-compatible datasets
 * benchmark. The gateway runs in a process of its own with a temporary data directory; writers
 * and subscribers run in another (`datasets-load.ts`), the latency probe in the bench's process.
 *
 * 1. Latency: paced 1 KiB appends (`PATCH array/full?...&extend=true`) to one msgpack subscriber,
 *    against a bare fdatasync on the data directory and the HTTP round trip of a request that
 *    stores nothing, both measured in the same run.
 * 2. Appends/s into one node with 0 (the baseline) and 100 msgpack subscribers.
 * 3. Fan-out bytes/s of 1 MiB frames (`PUT array/full` of a 1 MiB float64 array) to 1, 10 and 50
 *    subscribers, against a plain `ws` relay sending the same frame to the same subscribers.
 *
 * Prints tables and writes the "Datasets (Tiled)" section of docs/benchmarks.md. Bounded in
 * time; stops by itself.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, forkChild, readFlags, runBench, runRecord, writeDocSection } from "@beamgate/bench-kit";
import { measureBreakdown } from "./datasets-breakdown.js";
import { createArray, F64_BYTES } from "./datasets-data.js";
import type { Drained, LoadSample, LoadStart, LoadTotals } from "./datasets-load.js";
import { HELP, type Options, parseOptions } from "./datasets-options.js";
import { measureHttpFloor, measureLatency } from "./datasets-phases.js";
import {
  consoleReport,
  type DatasetsRun,
  type FanoutResult,
  markdownReport,
  type ThroughputResult,
} from "./datasets-report.js";
import { cpuCores, sampleMachine } from "./proc.js";
import { measureFdatasync } from "./rta-phases.js";
import type { ServerSample } from "./rta-server.js";

const DOC = new URL("../../../../docs/benchmarks.md", import.meta.url);
const RUN_LIMIT_MS = 3 * 60_000;
/** How long subscribers may take to receive what was answered before a scenario ends. */
const DRAIN_LIMIT_MS = 5_000;
const LATENCY_WARMUP_SECONDS = 0.5;
const FLOOR_REQUESTS = 400;
const FDATASYNC_COUNT = 200;
const FDATASYNC_FRAME_COUNT = 40;
const BREAKDOWN_SECONDS = 1.5;
/** Frames a subscriber may lag behind: small appends, and fan-out frames (under the 8 MiB slow-consumer limit). */
const APPEND_CREDIT = 1024;
const FRAME_CREDIT = 4;
const FRAME_INFLIGHT = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Scenario {
  readonly port: number;
  readonly key?: string;
  readonly subscribers: number;
  readonly start: Omit<LoadStart, "port" | "key">;
  /** The server's `mark` / `sample`: the gateway's, or the relay's. */
  readonly server: Child;
  readonly profile?: string;
}

interface Measured {
  readonly load: LoadSample;
  readonly server: ServerSample | { seconds: number; cpu: number };
  readonly machineCpu: number;
  readonly totals: LoadTotals;
  readonly drained: Drained;
}

async function main(): Promise<void> {
  const options = readFlags("bench:datasets", HELP, parseOptions);
  if (!options) return;
  const started = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), "beamgate-bench-datasets-"));
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  const [gateway, load, relay] = await Promise.all([
    forkChild(new URL("./rta-server.js", import.meta.url)),
    forkChild(new URL("./datasets-load.js", import.meta.url)),
    forkChild(new URL("./datasets-relay.js", import.meta.url)),
  ]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  try {
    const { port } = await gateway.request<{ port: number }>("listen", { dataDir });
    const { port: relayPort } = await relay.request<{ port: number }>("listen");
    const appendBytes = options.appendElements * F64_BYTES;
    const frameElements = Math.round((options.frameMiB * 2 ** 20) / F64_BYTES);

    process.stderr.write("fdatasync alone ...\n");
    const fdatasync = measureFdatasync(dataDir, appendBytes, FDATASYNC_COUNT);
    const fdatasyncFrame = measureFdatasync(dataDir, frameElements * F64_BYTES, FDATASYNC_FRAME_COUNT);
    process.stderr.write("HTTP floor (GET /api/v1/) ...\n");
    const floor = await measureHttpFloor(agent, port, options.latencyRate, FLOOR_REQUESTS);
    process.stderr.write(`latency: ${options.latencyRate} appends/s ...\n`);
    await gateway.request("mark", profile(options, "latency"));
    const latency = await measureLatency(agent, port, {
      elements: options.appendElements,
      rate: options.latencyRate,
      seconds: options.latencySeconds,
      warmupSeconds: LATENCY_WARMUP_SECONDS,
    });
    const latencyServer = await gateway.request<ServerSample>("sample");
    process.stderr.write("where an append's time goes (in-process) ...\n");
    const breakdown = await measureBreakdown(
      join(dataDir, "breakdown"),
      options.appendElements,
      options.latencyRate,
      Math.round(options.latencyRate * BREAKDOWN_SECONDS),
    );

    const throughput: ThroughputResult[] = [];
    for (const subscribers of options.subscribers) {
      process.stderr.write(`appends/s: ${subscribers} subscriber(s) ...\n`);
      const key = `bench-appends-${subscribers}`;
      await createArray(agent, port, key, 0, 0);
      const m = await measure(load, options, {
        port,
        key,
        subscribers,
        server: gateway,
        profile: profile(options, `appends-${subscribers}`).profile,
        start: { method: "PATCH", elements: options.appendElements, inflight: options.inflight, credit: APPEND_CREDIT },
      });
      throughput.push({ subscribers, ...m, server: m.server as ServerSample });
    }

    const fanout: FanoutResult[] = [];
    for (const subscribers of options.fanout) {
      process.stderr.write(`fan-out: ${subscribers} subscriber(s), gateway ...\n`);
      const key = `bench-fanout-${subscribers}`;
      await createArray(agent, port, key, frameElements, frameElements);
      const start = { method: "PUT", elements: frameElements, inflight: FRAME_INFLIGHT, credit: FRAME_CREDIT } as const;
      const viaGateway = await measure(load, options, {
        port,
        key,
        subscribers,
        server: gateway,
        profile: profile(options, `fanout-${subscribers}`).profile,
        start,
      });
      fanout.push({ subscribers, via: "gateway", ...viaGateway });
      process.stderr.write(`fan-out: ${subscribers} subscriber(s), raw ws relay ...\n`);
      const viaRelay = await measure(load, options, { port: relayPort, subscribers, server: relay, start });
      fanout.push({ subscribers, via: "relay", ...viaRelay });
    }

    const run: DatasetsRun = {
      ...runRecord({
        repoRoot: new URL("..", DOC),
        sources: "packages/gateway/src",
        script: "packages/gateway/dist/bench/datasets.js",
        npmScripts: ["bench", "bench:datasets"],
        started,
      }),
      options,
      help: HELP,
      fdatasync,
      fdatasyncFrame,
      floor,
      latency,
      latencyServer,
      breakdown,
      latencyWarmupSeconds: LATENCY_WARMUP_SECONDS,
      throughput,
      fanout,
      frameBytes: frameElements * F64_BYTES,
      appendCredit: APPEND_CREDIT,
      frameCredit: FRAME_CREDIT,
      frameInflight: FRAME_INFLIGHT,
      drainLimitSeconds: DRAIN_LIMIT_MS / 1000,
    };
    process.stdout.write(consoleReport(run));
    if (options.write) {
      writeDocSection(DOC, "datasets", "packages/gateway/bench/datasets.ts", markdownReport(run));
      process.stderr.write(`wrote the Datasets (Tiled) section of ${DOC.pathname}\n`);
    }
  } finally {
    agent.destroy();
    await Promise.all([gateway.stop(), load.stop(), relay.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One scenario: subscribers in, writes for the warm-up and the window, then every subscriber must have every write. */
async function measure(load: Child, o: Options, s: Scenario): Promise<Measured> {
  try {
    await load.request("subscribe", { port: s.port, key: s.key, count: s.subscribers });
    await sleep(100);
    await load.request("start", { ...s.start, port: s.port, key: s.key } satisfies LoadStart);
    await sleep(o.warmupSeconds * 1000);
    const machineBefore = sampleMachine();
    await Promise.all([load.request("mark"), s.server.request("mark", s.profile ? { profile: s.profile } : {})]);
    await sleep(o.windowSeconds * 1000);
    const [loadSample, server] = await Promise.all([
      load.request<LoadSample>("sample"),
      s.server.request<Measured["server"]>("sample"),
    ]);
    const machineAfter = sampleMachine();
    const totals = await load.request<LoadTotals>("stop");
    if (totals.errors > 0) throw new Error(`${totals.errors} write(s) failed; the first: ${totals.firstError}`);
    const drained = await load.request<Drained>("drain", { expected: totals.writes, limitMs: DRAIN_LIMIT_MS });
    return {
      load: loadSample,
      server,
      machineCpu: cpuCores(machineBefore.processes, machineAfter.processes),
      totals,
      drained,
    };
  } finally {
    await load.request("close");
  }
}

/** `mark`'s argument: a CPU profile of the span to `--profile DIR`, if given. */
function profile(o: Options, name: string): { profile?: string } {
  return o.profileDir ? { profile: join(o.profileDir, `gateway-${name}.cpuprofile`) } : {};
}

runBench("bench:datasets", RUN_LIMIT_MS, main);
