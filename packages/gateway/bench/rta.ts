/**
 * `npm run bench:rta` (and the last part of `npm run bench`): the RTA telemetry benchmark. The
 * gateway runs in a process of its own with a temporary data directory; a writer process appends
 * periodic f64 data over REST (protobuf PeriodicDataList, each append fsynced before it is
 * published and answered) while 0, 1 and 10 stream clients in the bench's process receive it as
 * LZ4 bursts. Then the latency of one small append to a client, against the append's own round
 * trip; then the first session read back over REST, against reading its chunk files from disk.
 * Prints tables and writes the "RTA telemetry" section of docs/benchmarks.md. Bounded in time;
 * stops by itself.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, forkChild, readFlags, runBench, runRecord, writeDocSection } from "@beamgate/bench-kit";
import { cpuCores, sampleMachine } from "./proc.js";
import { checkWalker, difference, StreamClient } from "./rta-clients.js";
import { createSession, expectStatus } from "./rta-data.js";
import { HELP, type Options, parseOptions } from "./rta-options.js";
import { measureFdatasync, measureLatency, measureRead } from "./rta-phases.js";
import { consoleReport, markdownReport, type RtaRun, type ThroughputResult } from "./rta-report.js";
import type { ServerSample } from "./rta-server.js";
import type { WriterSample, WriterStart, WriterTotals } from "./rta-writer.js";

const DOC = new URL("../../../../docs/benchmarks.md", import.meta.url);
const RUN_LIMIT_MS = 3 * 60_000;
/** How long clients may take to receive what was answered before a scenario ends. */
const DRAIN_LIMIT_MS = 5_000;
const LATENCY_SECONDS = 5;
const LATENCY_WARMUP_SECONDS = 0.5;
const LATENCY_SAMPLES = 128;
const READ_REPEATS = 3;
const FDATASYNC_COUNT = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const options = readFlags("bench:rta", HELP, parseOptions);
  if (!options) return;
  const started = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), "beamgate-bench-rta-"));
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  const server = await forkChild(new URL("./rta-server.js", import.meta.url));
  const writer = await forkChild(new URL("./rta-writer.js", import.meta.url));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  try {
    const { port } = await server.request<{ port: number }>("listen", { dataDir });
    process.stderr.write("fdatasync alone ...\n");
    const fdatasync = measureFdatasync(dataDir, 1024, FDATASYNC_COUNT);
    process.stderr.write(`latency: ${options.latencyRate} appends/s ...\n`);
    await server.request("mark", profile(options, "latency"));
    const latency = await measureLatency(agent, port, {
      channels: options.channels,
      samples: LATENCY_SAMPLES,
      rate: options.latencyRate,
      seconds: LATENCY_SECONDS,
      warmupSeconds: LATENCY_WARMUP_SECONDS,
    });
    const latencyServer = await server.request<ServerSample>("sample");
    // After the latency phase, so that the disk is as quiet for it as for fdatasync alone.
    const throughput: ThroughputResult[] = [];
    for (const clients of options.clients) {
      process.stderr.write(`throughput: ${clients} stream client(s) ...\n`);
      throughput.push(await measureThroughput(server, writer, agent, port, clients, options));
    }
    const first = throughput[0] as ThroughputResult;
    process.stderr.write(`REST read of ${first.identity} ...\n`);
    await server.request("mark", profile(options, "read"));
    const read = await measureRead(agent, port, dataDir, first.identity, first.totals.samples, READ_REPEATS);
    const readServer = await server.request<ServerSample>("sample");
    const run: RtaRun = {
      ...runRecord({
        repoRoot: new URL("..", DOC),
        sources: "packages/gateway/src",
        script: "packages/gateway/dist/bench/rta.js",
        npmScripts: ["bench", "bench:rta"],
        started,
      }),
      options,
      help: HELP,
      throughput,
      fdatasync,
      latency,
      latencyServer,
      read,
      readServer,
      latencySeconds: LATENCY_SECONDS,
      latencyWarmupSeconds: LATENCY_WARMUP_SECONDS,
      drainLimitSeconds: DRAIN_LIMIT_MS / 1000,
    };
    process.stdout.write(consoleReport(run));
    if (options.write) {
      writeDocSection(DOC, "rta", "packages/gateway/bench/rta.ts", markdownReport(run));
      process.stderr.write(`wrote the RTA telemetry section of ${DOC.pathname}\n`);
    }
  } finally {
    agent.destroy();
    await Promise.all([server.stop(), writer.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measureThroughput(
  server: Child,
  writer: Child,
  agent: http.Agent,
  port: number,
  count: number,
  o: Options,
): Promise<ThroughputResult> {
  const identity = `bench-throughput-${count}`;
  await createSession(agent, port, identity, o.channels);
  const clients: StreamClient[] = [];
  try {
    for (let i = 0; i < count; i++) clients.push(await StreamClient.open(port, identity));
    await sleep(200); // the subscriptions reach the gateway
    const start: WriterStart = {
      port,
      identity,
      channels: o.channels,
      samples: o.samples,
      inflight: o.inflight,
      origin: String(BigInt(Date.now()) * 1_000_000n),
    };
    await writer.request("start", start);
    await sleep(o.warmupSeconds * 1000);
    await Promise.all([server.request("mark", profile(o, `throughput-${count}`)), writer.request("mark")]);
    const before = clients.map((c) => c.snapshot());
    const cpuBefore = process.cpuUsage();
    const machineBefore = sampleMachine();
    const t0 = performance.now();
    await sleep(o.windowSeconds * 1000);
    const after = clients.map((c) => c.snapshot());
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const machineAfter = sampleMachine();
    const [serverSample, writerSample] = await Promise.all([
      server.request<ServerSample>("sample"),
      writer.request<WriterSample>("sample"),
    ]);
    const totals = await writer.request<WriterTotals>("stop");
    if (totals.errors > 0) throw new Error(`${totals.errors} append(s) failed; the first: ${totals.firstError}`);
    // Every answered append was published before its answer: wait for the clients to have it all.
    const drainStart = performance.now();
    while (
      clients.some((c) => !c.closed && c.counts.samples < totals.samples) &&
      performance.now() - drainStart < DRAIN_LIMIT_MS
    ) {
      await sleep(20);
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const probe = clients.find((c) => c.dataMessage)?.dataMessage;
    if (probe) checkWalker(probe);
    await expectStatus(agent, port, "PATCH", `/rta/v2/sessions/${identity}`, JSON.stringify({ state: "closed" }), 200);
    return {
      clients: count,
      identity,
      seconds,
      writer: writerSample,
      server: serverSample,
      perClient: after.map((a, i) => difference(a, before[i] as typeof a)),
      clientCpu: (cpu.user + cpu.system) / 1e6 / seconds,
      machineCpu: cpuCores(machineBefore.processes, machineAfter.processes),
      totals,
      deliveredAll: clients.every((c) => c.counts.samples === totals.samples),
      drainSeconds,
      closed: clients.filter((c) => c.closed && c.closed.code !== 1000).length,
      closeReasons: [
        ...new Set(
          clients.flatMap((c) => (c.closed && c.closed.code !== 1000 ? [`${c.closed.code} ${c.closed.reason}`] : [])),
        ),
      ],
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** `mark`'s argument: a CPU profile of the span to `--profile DIR`, if given. */
function profile(o: Options, name: string): { profile?: string } {
  return o.profileDir ? { profile: join(o.profileDir, `gateway-${name}.cpuprofile`) } : {};
}

runBench("bench:rta", RUN_LIMIT_MS, main);
