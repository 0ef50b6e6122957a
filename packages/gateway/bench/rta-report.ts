/** The RTA bench's results as text for the terminal and as the Markdown of docs/benchmarks.md. */
import {
  fixed,
  grouped,
  markdownTable,
  mean,
  median,
  type Percentiles,
  percent,
  type RunRecord,
  recordHeader,
  type Table,
  textTable,
} from "@beamgate/bench-kit";
import type { StreamCounts } from "./rta-clients.js";
import type { Options } from "./rta-options.js";
import { type LatencyResult, type ReadResult, sampleBytes } from "./rta-phases.js";
import type { ServerSample } from "./rta-server.js";
import type { WriterSample, WriterTotals } from "./rta-writer.js";

export interface ThroughputResult {
  readonly clients: number;
  readonly identity: string;
  /** The clients' window, by the bench's clock. */
  readonly seconds: number;
  readonly writer: WriterSample;
  readonly server: ServerSample;
  readonly perClient: readonly StreamCounts[];
  /** The bench process (the stream clients), in cores. */
  readonly clientCpu: number;
  /** Every process of the machine together (from /proc/stat), in cores. */
  readonly machineCpu: number;
  /** Everything the writer had answered, warm-up and window. */
  readonly totals: WriterTotals;
  /** Every client received every answered sample. */
  readonly deliveredAll: boolean;
  readonly drainSeconds: number;
  /** Clients closed by the gateway (other than by the session's end). */
  readonly closed: number;
  readonly closeReasons: readonly string[];
}

export interface RtaRun extends RunRecord {
  readonly options: Options;
  readonly help: string;
  readonly throughput: readonly ThroughputResult[];
  readonly fdatasync: Percentiles;
  readonly latency: LatencyResult;
  readonly latencyServer: ServerSample;
  readonly read: ReadResult;
  readonly readServer: ServerSample;
  readonly latencySeconds: number;
  readonly latencyWarmupSeconds: number;
  readonly drainLimitSeconds: number;
}

export const TARGET_SAMPLES_PER_SECOND = 1_000_000;

const ingested = (r: ThroughputResult) => r.writer.samples / r.writer.seconds;
const delivered = (r: ThroughputResult) => r.perClient.map((c) => c.samples / r.seconds);
const sum = (cs: readonly StreamCounts[], key: keyof StreamCounts) => cs.reduce((n, c) => n + c[key], 0);

function baseline(run: RtaRun): ThroughputResult {
  return run.throughput[0] as ThroughputResult;
}

function baselineName(run: RtaRun): string {
  const b = baseline(run);
  return b.clients === 0 ? "0 clients" : `${b.clients} client(s)`;
}

function throughputTable(run: RtaRun): Table {
  const base = ingested(baseline(run));
  return {
    headers: [
      "stream clients",
      "appends/s",
      "ingested samples/s",
      `ingested vs ${baselineName(run)}`,
      "delivered samples/s per client",
      "min",
      "of ingested",
      `delivered vs ${baselineName(run)} ingest`,
      "MB/s out per client",
      "POST p50 ms",
      "POST p99 ms",
      "server CPU",
      "server ns/sample",
      "loop busy",
      "loop delay p99 ms",
      "server RSS MiB",
      "writer CPU",
      "clients CPU",
      "other CPU",
      "complete",
      "closed",
    ],
    textColumns: 0,
    rows: run.throughput.map((r) => {
      const d = delivered(r);
      const rate = ingested(r);
      const out = r.perClient.map((c) => c.compressedBytes / r.seconds / 1e6);
      return [
        String(r.clients),
        fixed(r.writer.posts / r.writer.seconds, 1),
        grouped(rate),
        percent(rate / base),
        r.clients > 0 ? grouped(mean(d)) : "–",
        r.clients > 0 ? grouped(Math.min(...d)) : "–",
        r.clients > 0 ? percent(mean(d) / rate) : "–",
        r.clients > 0 ? percent(mean(d) / base) : "–",
        r.clients > 0 ? fixed(mean(out), 1) : "–",
        fixed(r.writer.rttP50Ms, 1),
        fixed(r.writer.rttP99Ms, 1),
        fixed(r.server.cpu, 2),
        fixed((r.server.cpu * 1e9) / rate, 0),
        percent(r.server.loopBusy),
        fixed(r.server.loopDelayP99Ms, 1),
        fixed(r.server.rssMiB, 0),
        fixed(r.writer.cpu, 2),
        fixed(r.clientCpu, 2),
        fixed(Math.max(0, r.machineCpu - r.server.cpu - r.writer.cpu - r.clientCpu), 2),
        r.clients > 0 ? (r.deliveredAll ? "yes" : "NO") : "–",
        String(r.closed),
      ];
    }),
  };
}

function burstTable(run: RtaRun): Table {
  return {
    headers: [
      "stream clients",
      "messages/s per client",
      "compressed bytes/message",
      "burst bytes (uncompressed)",
      "compression ratio",
      "StreamData/burst",
      "periodic items/burst",
      "samples/burst",
    ],
    textColumns: 0,
    rows: run.throughput
      .filter((r) => r.clients > 0)
      .map((r) => {
        const messages = sum(r.perClient, "messages");
        const compressed = sum(r.perClient, "compressedBytes");
        const burst = sum(r.perClient, "burstBytes");
        return [
          String(r.clients),
          fixed(messages / r.clients / r.seconds, 1),
          grouped(compressed / messages),
          grouped(burst / messages),
          `${fixed(burst / compressed, 2)}×`,
          fixed(sum(r.perClient, "elements") / messages, 1),
          fixed(sum(r.perClient, "periodic") / messages, 1),
          grouped(sum(r.perClient, "samples") / messages),
        ];
      }),
  };
}

function latencyTable(run: RtaRun): Table {
  const l = run.latency;
  const row = (what: string, p: Percentiles) => [
    what,
    grouped(p.count),
    fixed(p.p50Ms, 2),
    fixed(p.p99Ms, 2),
    fixed(p.maxMs, 2),
  ];
  return {
    headers: ["path", "count", "p50 ms", "p99 ms", "max ms"],
    textColumns: 1,
    rows: [
      row("fdatasync alone: 1 KiB append to a file in the data directory (baseline: the disk)", run.fdatasync),
      row("POST round trip: append answered (checks, append, fdatasync, publish inside)", l.post),
      row("ingest → stream client: POST written → item decoded by the client", l.endToEnd),
    ],
  };
}

interface ReadFigures {
  readonly fileMBps: number;
  readonly bodyMBps: number;
  readonly sampleMBps: number;
  readonly bodySeconds: number;
  readonly decodedSeconds: number;
  readonly fileSeconds: number;
}

function readFigures(read: ReadResult): ReadFigures {
  const fileSeconds = median(read.runs.map((r) => r.fileSeconds));
  const bodySeconds = median(read.runs.map((r) => r.bodySeconds));
  const decodedSeconds = median(read.runs.map((r) => r.bodySeconds + r.decodeSeconds));
  return {
    fileSeconds,
    bodySeconds,
    decodedSeconds,
    fileMBps: read.fileBytes / fileSeconds / 1e6,
    bodyMBps: read.bodyBytes / bodySeconds / 1e6,
    sampleMBps: sampleBytes(read.samples) / decodedSeconds / 1e6,
  };
}

function readTable(run: RtaRun): Table {
  const r = run.read;
  const f = readFigures(r);
  return {
    headers: ["what", "bytes", "ms (median)", "MB/s", "samples/s", "vs readFile"],
    textColumns: 1,
    rows: [
      [
        `fs.readFile of the session's ${r.files} chunk file(s) (baseline)`,
        grouped(r.fileBytes),
        fixed(f.fileSeconds * 1000, 1),
        fixed(f.fileMBps, 0),
        "–",
        "100 %",
      ],
      [
        `REST read: response body (chunked, ${r.chunks} LZ4 chunks)`,
        grouped(r.bodyBytes),
        fixed(f.bodySeconds * 1000, 1),
        fixed(f.bodyMBps, 0),
        grouped(r.samples / f.bodySeconds),
        percent(f.bodyMBps / f.fileMBps),
      ],
      [
        "REST read + client decode: f64 sample bytes",
        grouped(sampleBytes(r.samples)),
        fixed(f.decodedSeconds * 1000, 1),
        fixed(f.sampleMBps, 0),
        grouped(r.samples / f.decodedSeconds),
        percent(f.sampleMBps / f.fileMBps),
      ],
    ],
  };
}

/** The scenario the target is judged on: 1 client, else the fewest clients above 0. */
function targetScenario(run: RtaRun): ThroughputResult | undefined {
  const streamed = run.throughput.filter((r) => r.clients > 0);
  return streamed.find((r) => r.clients === 1) ?? [...streamed].sort((a, b) => a.clients - b.clients)[0];
}

function targetTable(run: RtaRun): Table {
  const rows: string[][] = [];
  const t = targetScenario(run);
  const base = baseline(run);
  if (t) {
    const d = mean(delivered(t));
    const ok = d >= TARGET_SAMPLES_PER_SECOND && t.deliveredAll && t.closed === 0;
    rows.push([
      `≥ ${grouped(TARGET_SAMPLES_PER_SECOND)} samples/s delivered to one stream client (ingest → stream)`,
      `${t.clients} client(s): ${grouped(d)} samples/s (${percent(d / ingested(base))} of the ${baselineName(run)} ingest of ${grouped(ingested(base))}/s)`,
      ok ? "PASS" : "FAIL",
    ]);
  }
  return { headers: ["target", "measured", "result"], textColumns: 3, rows };
}

function notes(run: RtaRun): string[] {
  const out: string[] = [];
  for (const r of run.throughput) {
    if (r.closed > 0)
      out.push(`- ${r.clients} clients: ${r.closed} closed by the gateway (${r.closeReasons.join("; ")}).`);
    if (r.clients > 0 && !r.deliveredAll) {
      out.push(
        `- ${r.clients} clients: not every answered sample reached every client within ${r.drainSeconds.toFixed(1)} s of the end.`,
      );
    }
    if (r.clientCpu > 0.9) {
      out.push(
        `- ${r.clients} clients: the clients' process used ${percent(r.clientCpu)} of a core and may have set the rate.`,
      );
    }
  }
  const l = run.latency;
  if (l.lost > 0 || l.errors > 0)
    out.push(`- Latency: ${l.lost} answered appends never reached the client; ${l.errors} failed.`);
  if (run.read.samples !== run.read.expectedSamples) {
    out.push(`- REST read returned ${run.read.samples} samples, ${run.read.expectedSamples} were answered.`);
  }
  return out;
}

function serverLine(what: string, s: ServerSample): string {
  return `Gateway during ${what}: CPU ${fixed(s.cpu, 2)} cores, loop busy ${percent(s.loopBusy)}, loop delay p99 ${fixed(s.loopDelayP99Ms, 1)} ms (max ${fixed(s.loopDelayMaxMs, 1)} ms).`;
}

export function consoleReport(run: RtaRun): string {
  const o = run.options;
  return [
    "",
    `RTA telemetry: ${o.channels} periodic f64 channels, appends of ${o.channels} items × ${o.samples} samples, ${o.inflight} in flight`,
    "",
    textTable(throughputTable(run)),
    "",
    textTable(burstTable(run)),
    "",
    `latency: ${run.latency.rate} appends/s of 1 item × ${run.latency.samplesPerAppend} samples`,
    textTable(latencyTable(run)),
    serverLine("the latency phase", run.latencyServer),
    "",
    `REST read of ${run.read.identity}: ${grouped(run.read.samples)} samples (${grouped(run.read.items)} items)`,
    textTable(readTable(run)),
    serverLine("the reads", run.readServer),
    "",
    textTable(targetTable(run)),
    ...notes(run),
    "",
  ].join("\n");
}

export function markdownReport(run: RtaRun): string {
  const o = run.options;
  const appendSamples = o.channels * o.samples;
  const bodyBytes =
    run.throughput.reduce((n, r) => n + r.writer.bodyBytes, 0) / run.throughput.reduce((n, r) => n + r.writer.posts, 0);
  const header = recordHeader(
    "RTA telemetry",
    "packages/gateway/bench/rta.ts",
    run,
    `Each throughput scenario was measured for ${o.windowSeconds} s, starting ${o.warmupSeconds} s after its first append; the latency phase for ${run.latencySeconds} s after ${run.latencyWarmupSeconds} s.`,
    "(`npm run bench:rta` rewrites this section only; `npm run bench` every section.)",
  ).join("\n");
  const base = baselineName(run);
  const extra = notes(run);
  return `${header}

## Method

- The gateway runs in a process of its own (\`bench/rta-server.ts\`): \`startGateway\` on 127.0.0.1, a free port, a temporary \`dataDir\` (removed at the end), \`telemetry.demo\` false, every request allowed (\`ALLOW ANY *\`, audit to /dev/null), logging silent, the telemetry defaults otherwise (bursts sent at 64 KiB or at the end of the event-loop turn, 10 s back-fill, 256 KiB REST chunks). Server CPU is its \`process.cpuUsage()\` (all threads) per second, server ns/sample that over ingested samples/s; loop busy its event-loop utilization; loop delay \`monitorEventLoopDelay\` (5 ms resolution).
- Data: one config of ${o.channels} periodic f64 channels at 1 kHz (interval 1 ms), a fresh open session per scenario. Each channel's samples are a sine of its own frequency plus a little noise, as a sensor gives (LZ4 finds little to squeeze in such doubles).
- **Throughput**: a writer process (\`bench/rta-writer.ts\`) sends \`POST /rta/v2/sessions/{id}/data/periodic\` (\`application/x-protobuf\`, a PeriodicDataList of ${o.channels} items × ${o.samples} samples = ${grouped(appendSamples)} samples, ${grouped(bodyBytes)} bytes), ${o.inflight} in flight on ${o.inflight} keep-alive connections, back to back: each append covers the next ${o.samples} ms of virtual time, so virtual time runs as fast as the gateway answers. The writer encodes 16 such lists once (protobuf-es \`toBinary\`) and sends copies with each item's \`start_timestamp\` rewritten, so that its own cost stays small on this 2-core machine: samples repeat every 16 appends, timestamps never. The gateway answers an append once it is checked, appended to the session's chunk file, fdatasync'ed (group commit: one fdatasync serves every append that arrived meanwhile) and published to the stream's followers. N stream clients in the bench's process (\`bench/rta-clients.ts\`) connect to \`/rta/v2/sessions/{id}/stream\` (subprotocol \`mat.ocs.rta.stream-lz4\`) and subscribe to all data channels before the first append; each decompresses every message (one raw LZ4 block) and walks the StreamDataBurst's protobuf by hand to count StreamData elements, periodic items and samples (checked against \`decodeStreamMessage\` on a burst of each scenario), so that ten clients in one process keep up.
- ingested samples/s: samples of the appends answered 200 during the window, by the writer's clock; delivered samples/s: samples each client received during the window. With 0 clients that is the store's own rate (HTTP, protobuf decode, checks, re-encode, append, fdatasync): the baseline of the \`vs ${base}\` columns. Writer CPU and clients CPU are those processes' own (\`process.cpuUsage()\`); other CPU is what every other process of the machine used meanwhile (/proc/stat, all processes less these three), which these shared machines make more than zero. After the window the writer stops and every client must receive every answered sample within ${run.drainLimitSeconds} s (\`complete\`); closed counts clients the gateway closed (a slow consumer past 8 MiB queued).
- **Bursts**: what the clients received in the window, per message: its bytes on the WebSocket (compressed), its LZ4 content (the StreamDataBurst), and the StreamData it held.
- **Latency**: another session; the bench process sends appends of 1 item × ${run.latency.samplesPerAppend} samples (channel 0) paced at ${run.latency.rate}/s, open loop, on keep-alive connections, while its stream client decodes each message whole (\`decodeStreamMessage\`) and matches items by their start timestamp. **POST round trip** runs from just before the request is written to the last byte of its answer; **ingest → stream client** from the same instant to the client holding the decoded item; both on the bench process's clock. **The fsync is part of this path**: the gateway publishes a write to the stream only once it is durable (fdatasync), then answers it, so no client ever sees data a crash could lose; the POST round trip, fsync inside, is the baseline. **fdatasync alone** is a 1 KiB append and fdatasync to a file in the same data directory, ${run.fdatasync.count} times from the bench process, the gateway idle: what the disk alone costs.
- **REST read**: \`GET /rta/v2/sessions/{id}/data/periodic/0-\` (all channels, no time bounds) of the ${base} session, ${run.read.runs.length} times; the body is the \`application/vnd.mat.protobuf+chunked\` framing with LZ4 payloads. Body MB/s: body bytes over request to last byte (node:http, keep-alive); decoded samples: f64 sample bytes over that plus the client's \`decodeChunked\`, PeriodicDataList decoding and f64 decoding; the sample count must equal what was answered. Baseline: \`fs.readFile\` of the session's \`chunk-*.log\` files (page cache warm) in the bench process right after each read. Medians of the runs. The gateway's figures below the table cover the whole phase (the client's decoding and the readFile included, while the gateway waits); its loop delay max is the longest its event loop went without turning, that is how long a read held it.
- Ratios compare figures of this run only: these machines are noisy from run to run.

## Results

### Throughput: ingest → stream clients

${markdownTable(throughputTable(run))}

### Stream bursts

${markdownTable(burstTable(run))}

### Latency: one append → stream client (${run.latency.rate} appends/s of 1 item × ${run.latency.samplesPerAppend} samples)

${markdownTable(latencyTable(run))}

${serverLine("the latency phase", run.latencyServer)}

### REST read: ${grouped(run.read.samples)} samples (${grouped(run.read.items)} items) of one session

${markdownTable(readTable(run))}

${serverLine("the reads", run.readServer)}
${extra.length ? `\n${extra.join("\n")}\n` : ""}
## Target

${markdownTable(targetTable(run))}

## Options

\`\`\`text
${run.help.trimEnd()}
\`\`\`
`;
}
