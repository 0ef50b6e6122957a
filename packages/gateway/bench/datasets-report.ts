/** The datasets bench's results as text for the terminal and as the Markdown of docs/benchmarks.md. */
import {
  fixed,
  grouped,
  markdownTable,
  mean,
  type Percentiles,
  percent,
  type RunRecord,
  recordHeader,
  type Table,
  textTable,
} from "@beamgate/bench-kit";
import type { Breakdown } from "./datasets-breakdown.js";
import type { Drained, LoadSample, LoadTotals } from "./datasets-load.js";
import type { Options } from "./datasets-options.js";
import type { LatencyResult } from "./datasets-phases.js";
import type { ServerSample } from "./rta-server.js";

export interface ThroughputResult {
  readonly subscribers: number;
  readonly load: LoadSample;
  readonly server: ServerSample;
  readonly machineCpu: number;
  readonly totals: LoadTotals;
  readonly drained: Drained;
}

export interface FanoutResult {
  readonly subscribers: number;
  /** Through the gateway, or the raw ws relay (the baseline). */
  readonly via: "gateway" | "relay";
  /** The gateway's or the relay's own CPU, in cores. */
  readonly server: { readonly seconds: number; readonly cpu: number };
  readonly load: LoadSample;
  readonly machineCpu: number;
  readonly totals: LoadTotals;
  readonly drained: Drained;
}

export interface DatasetsRun extends RunRecord {
  readonly options: Options;
  readonly help: string;
  readonly fdatasync: Percentiles;
  readonly fdatasyncFrame: Percentiles;
  readonly floor: Percentiles;
  readonly latency: LatencyResult;
  readonly latencyServer: ServerSample;
  readonly breakdown: Breakdown;
  readonly latencyWarmupSeconds: number;
  readonly throughput: readonly ThroughputResult[];
  readonly fanout: readonly FanoutResult[];
  readonly frameBytes: number;
  readonly appendCredit: number;
  readonly frameCredit: number;
  readonly frameInflight: number;
  readonly drainLimitSeconds: number;
}

/** p99 of append → subscriber for small appends, loopback (issue 5). */
export const TARGET_P99_MS = 2;

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const kib = (bytes: number) => (bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${grouped(bytes)} bytes`);
const mib = (bytes: number) => `${fixed(bytes / 2 ** 20, bytes % 2 ** 20 === 0 ? 0 : 2)} MiB`;

function latencyTable(run: DatasetsRun): Table {
  const l = run.latency;
  const row = (what: string, p: Percentiles) => [
    what,
    grouped(p.count),
    fixed(p.p50Ms, 3),
    fixed(p.p99Ms, 3),
    fixed(p.maxMs, 2),
  ];
  const bytes = kib(l.elements * 8);
  return {
    headers: ["path", "count", "p50 ms", "p99 ms", "max ms"],
    textColumns: 1,
    rows: [
      row(
        `fdatasync alone: ${bytes} append + fdatasync to a file in the data directory (baseline: the disk)`,
        run.fdatasync,
      ),
      row("HTTP floor: GET /api/v1/ round trip, nothing stored (baseline: HTTP on this server)", run.floor),
      row("PATCH round trip: append answered (checks, log append + fdatasync, publish)", l.patch),
      row("append → subscriber: PATCH written → update decoded by the msgpack subscriber", l.endToEnd),
    ],
  };
}

function breakdownTable(run: DatasetsRun): Table {
  const b = run.breakdown;
  const row = (what: string, p: Percentiles) => [what, fixed(p.p50Ms, 3), fixed(p.p99Ms, 3), fixed(p.maxMs, 2)];
  return {
    headers: ["step (in-process, no HTTP)", "p50 ms", "p99 ms", "max ms"],
    textColumns: 1,
    rows: [
      row("node log: append the update + fdatasync (NodeLog.append)", b.log),
      row("Zarr write of one append alone: chunk read-modify-write, rename, zarr.json (ArrayStore.patch)", b.zarr),
      row("Zarr write per append, ten applied as one batch (ArrayStore.applyAll, as the store applies)", b.zarrBatched),
      row("whole store: checks, log + fdatasync, publish (DatasetStore.patch; Zarr applied after)", b.store),
      row("whole store, call → follower told (published)", b.storeToFollower),
      row(
        "file system: 64 KiB written aside + renamed over its target (what a Zarr chunk rewrite does)",
        b.replaceChunk,
      ),
    ],
  };
}

/** What the latency is made of, in words: is it the fsync? */
function latencyVerdict(run: DatasetsRun): string {
  const e = run.latency.endToEnd;
  const f = run.fdatasync;
  const h = run.floor;
  const fsyncShare = f.p50Ms / e.p50Ms;
  const b = run.breakdown;
  const dominated = fsyncShare >= 0.5;
  const floors = h.p99Ms + f.p99Ms;
  return (
    `At the median, a bare fdatasync (${fixed(f.p50Ms, 3)} ms) is ${percent(fsyncShare)} of append → subscriber ` +
    `(${fixed(e.p50Ms, 3)} ms) and the HTTP floor (${fixed(h.p50Ms, 3)} ms) ${percent(h.p50Ms / e.p50Ms)}. ` +
    `In-process, the whole store takes ${fixed(b.store.p50Ms, 3)} ms p50 (${fixed(b.store.p99Ms, 3)} ms p99) of it, the log and its fdatasync ${fixed(b.log.p50Ms, 3)} ms p50 (${fixed(b.log.p99Ms, 3)} ms p99); ` +
    `the Zarr write is off the write's path (applied after publishing, in batches: ${fixed(b.zarrBatched.p50Ms, 3)} ms per append in a batch of ten against ${fixed(b.zarr.p50Ms, 3)} ms alone, p50); ` +
    `what remains (${fixed(Math.max(0, e.p50Ms - b.store.p50Ms), 3)} ms at the median) is HTTP, msgpack and the WebSocket hop. ` +
    (dominated
      ? "**The fsync dominates** the latency of a small append on this disk."
      : `**The fsync does not dominate** on this disk (bare fdatasync p99 ${fixed(f.p99Ms, 3)} ms against ${fixed(e.p99Ms, 3)} ms end to end).`) +
    ` The floors alone, HTTP p99 plus fdatasync p99, add up to ${fixed(floors, 3)} ms: append → subscriber p99 is ${fixed(e.p99Ms / floors, 1)}× that.`
  );
}

function throughputTable(run: DatasetsRun): Table {
  const base = run.throughput[0];
  const baseRate = base ? base.load.writes / base.load.seconds : Number.NaN;
  const baseName = base ? `${base.subscribers} subscribers` : "baseline";
  return {
    headers: [
      "subscribers",
      "appends/s",
      `vs ${baseName}`,
      "MB/s appended",
      "updates/s per subscriber",
      "min",
      "updates/s delivered (all)",
      "PATCH p50 ms",
      "PATCH p99 ms",
      "gateway CPU",
      "loop busy",
      "loop delay p99 ms",
      "gateway RSS MiB",
      "load CPU",
      "other CPU",
      "complete",
      "out of order",
      "closed",
    ],
    textColumns: 0,
    rows: run.throughput.map((r) => {
      const rate = r.load.writes / r.load.seconds;
      const per = r.load.frames.map((f) => f / r.load.seconds);
      const has = r.subscribers > 0;
      return [
        String(r.subscribers),
        grouped(rate),
        percent(rate / baseRate),
        fixed(r.load.writeBytes / r.load.seconds / 1e6, 2),
        has ? grouped(mean(per)) : "–",
        has ? grouped(Math.min(...per)) : "–",
        has ? grouped(sum(per)) : "–",
        fixed(r.load.rttP50Ms, 2),
        fixed(r.load.rttP99Ms, 2),
        fixed(r.server.cpu, 2),
        percent(r.server.loopBusy),
        fixed(r.server.loopDelayP99Ms, 1),
        fixed(r.server.rssMiB, 0),
        fixed(r.load.cpu, 2),
        fixed(Math.max(0, r.machineCpu - r.server.cpu - r.load.cpu), 2),
        has ? (r.drained.complete ? "yes" : "NO") : "–",
        String(r.drained.outOfOrder),
        String(r.drained.closed),
      ];
    }),
  };
}

function fanoutTable(run: DatasetsRun): Table {
  const relayOf = (n: number) => run.fanout.find((r) => r.via === "relay" && r.subscribers === n);
  const aggregate = (r: FanoutResult) => sum(r.load.bytes) / r.load.seconds;
  return {
    headers: [
      "subscribers",
      "server",
      "frames/s",
      "frame bytes",
      "MB/s per subscriber",
      "min",
      "MB/s all subscribers",
      "vs raw ws",
      "PUT p50 ms",
      "PUT p99 ms",
      "server CPU",
      "load CPU",
      "other CPU",
      "complete",
      "closed",
    ],
    textColumns: 2,
    rows: run.fanout.map((r) => {
      const per = r.load.bytes.map((b) => b / r.load.seconds / 1e6);
      const frames = sum(r.load.frames);
      const relay = relayOf(r.subscribers);
      return [
        String(r.subscribers),
        r.via === "gateway" ? "beamgate" : "raw ws relay",
        fixed(r.load.writes / r.load.seconds, 1),
        frames ? grouped(sum(r.load.bytes) / frames) : "–",
        fixed(mean(per), 1),
        fixed(Math.min(...per), 1),
        fixed(aggregate(r) / 1e6, 1),
        relay ? percent(aggregate(r) / aggregate(relay)) : "–",
        fixed(r.load.rttP50Ms, 2),
        fixed(r.load.rttP99Ms, 2),
        fixed(r.server.cpu, 2),
        fixed(r.load.cpu, 2),
        fixed(Math.max(0, r.machineCpu - r.server.cpu - r.load.cpu), 2),
        r.drained.complete ? "yes" : "NO",
        String(r.drained.closed),
      ];
    }),
  };
}

function targetTable(run: DatasetsRun): Table {
  const e = run.latency.endToEnd;
  const ok = e.p99Ms < TARGET_P99_MS && run.latency.lost === 0 && run.latency.errors === 0;
  return {
    headers: ["target", "measured", "result"],
    textColumns: 3,
    rows: [
      [
        `append → subscriber p99 < ${TARGET_P99_MS} ms on loopback (${kib(run.latency.elements * 8)} appends, ${run.latency.rate}/s)`,
        `p99 ${fixed(e.p99Ms, 3)} ms (p50 ${fixed(e.p50Ms, 3)} ms; bare fdatasync p99 ${fixed(run.fdatasync.p99Ms, 3)} ms)`,
        ok ? "PASS" : "FAIL",
      ],
    ],
  };
}

function notes(run: DatasetsRun): string[] {
  const out: string[] = [];
  const l = run.latency;
  if (l.lost > 0 || l.errors > 0 || l.outOfOrder > 0) {
    out.push(
      `- Latency: ${l.lost} answered appends never reached the subscriber; ${l.errors} failed; ${l.outOfOrder} out of order.`,
    );
  }
  const all: { what: string; d: Drained; n: number }[] = [
    ...run.throughput.map((r) => ({ what: `appends/s, ${r.subscribers} subscribers`, d: r.drained, n: r.subscribers })),
    ...run.fanout.map((r) => ({
      what: `fan-out via the ${r.via}, ${r.subscribers} subscribers`,
      d: r.drained,
      n: r.subscribers,
    })),
  ];
  for (const { what, d, n } of all) {
    if (n === 0) continue;
    if (d.closed > 0) out.push(`- ${what}: ${d.closed} closed by the server (${d.closeReasons.join("; ")}).`);
    if (!d.complete) {
      out.push(`- ${what}: not every answered write reached every subscriber within ${d.seconds.toFixed(1)} s.`);
    }
    if (d.outOfOrder > 0) out.push(`- ${what}: ${d.outOfOrder} updates out of sequence order.`);
  }
  const busy = [
    ...run.throughput.map((r) => ({ what: "appends/s", r })),
    ...run.fanout.map((r) => ({ what: `fan-out via the ${r.via}`, r })),
  ];
  for (const { what, r } of busy) {
    if (r.load.cpu > 0.9) {
      out.push(
        `- ${what}, ${r.subscribers} subscribers: the load process used ${percent(r.load.cpu)} of a core and may have set the rate.`,
      );
    }
  }
  return out;
}

function serverLine(what: string, s: ServerSample): string {
  return `Gateway during ${what}: CPU ${fixed(s.cpu, 2)} cores, loop busy ${percent(s.loopBusy)}, loop delay p99 ${fixed(s.loopDelayP99Ms, 1)} ms (max ${fixed(s.loopDelayMaxMs, 1)} ms).`;
}

export function consoleReport(run: DatasetsRun): string {
  const o = run.options;
  return [
    "",
    `latency: ${run.latency.rate} appends/s of ${kib(o.appendElements * 8)} (${o.appendElements} float64)`,
    textTable(latencyTable(run)),
    serverLine("the latency phase", run.latencyServer),
    "",
    textTable(breakdownTable(run)),
    latencyVerdict(run).replaceAll("**", ""),
    "",
    `appends/s into one node: ${kib(o.appendElements * 8)} appends, ${o.inflight} in flight`,
    textTable(throughputTable(run)),
    "",
    `fan-out: ${mib(run.frameBytes)} frames (PUT array/full), ${run.frameInflight} in flight, subscribers at most ${run.frameCredit} frames behind`,
    textTable(fanoutTable(run)),
    "",
    textTable(targetTable(run)),
    ...notes(run),
    "",
  ].join("\n");
}

export function markdownReport(run: DatasetsRun): string {
  const o = run.options;
  const header = recordHeader(
    "Datasets (Tiled)",
    "packages/gateway/bench/datasets.ts",
    run,
    `The latency phase was measured for ${o.latencySeconds} s after ${run.latencyWarmupSeconds} s not counted; each appends/s and fan-out scenario for ${o.windowSeconds} s, starting ${o.warmupSeconds} s after its first write.`,
    "(`npm run bench:datasets` rewrites this section only; `npm run bench` every section, this one last.)",
  ).join("\n");
  const extra = notes(run);
  const base = run.throughput[0];
  const appendSize = kib(o.appendElements * 8);
  return `${header}

## Method

- The gateway runs in a process of its own (\`bench/rta-server.ts\`, shared with the RTA bench): \`startGateway\` on 127.0.0.1, a free port, a temporary \`dataDir\` (removed at the end), every request allowed (\`ALLOW ANY *\`, audit to /dev/null), logging silent, the dataset defaults otherwise. Gateway CPU is its \`process.cpuUsage()\` (all threads) per second; loop busy its event-loop utilization; loop delay \`monitorEventLoopDelay\` (5 ms resolution).
- Arrays are created as Tiled's client creates them (\`POST /api/v1/metadata/\`, float64, little endian). A write is answered once it is checked, appended to the node's log and fdatasync'ed, and published to the node's subscribers, in that order: **the fsync is on the path of every write**, and no subscriber sees data a crash could lose. The Zarr array is written after, in batches (what is published within \`datasets.applyDelayMs\`, 50 ms by default, or while the previous batch is written).
- **Latency** (bench process): an empty appendable array (shape [0], chunks [[0]]: the gateway stores it in Zarr chunks of 8192 elements, 64 KiB) and one subscriber of \`WS /api/v1/stream/single/{path}?envelope_format=msgpack\`. Appends of ${o.appendElements} float64 (${appendSize}), \`PATCH /api/v1/array/full/{path}?offset=k·${o.appendElements}&shape=${o.appendElements}&extend=true\` (\`application/octet-stream\`), paced at ${run.latency.rate}/s open loop on keep-alive connections (node:http). **PATCH round trip** runs from just before the request is written to the last byte of its answer; **append → subscriber** from the same instant to the subscriber holding the decoded update (matched by its \`offset\`); both on the bench process's clock. Baselines from the same run: **fdatasync alone**, a ${appendSize} append and fdatasync to a file in the same data directory, ${run.fdatasync.count} times from the bench process with the gateway idle (what the disk alone costs; a ${mib(run.frameBytes)} append + fdatasync took p50 ${fixed(run.fdatasyncFrame.p50Ms, 2)} ms, p99 ${fixed(run.fdatasyncFrame.p99Ms, 2)} ms); **HTTP floor**, \`GET /api/v1/\` (the server-info document: nothing read from or written to disk) paced the same way, ${run.floor.count} times.
- **Appends/s into one node**: a load process (\`bench/datasets-load.ts\`) holds N msgpack subscribers of a fresh empty array (subscribed before the first append) and the writer: ${o.inflight} appends of ${appendSize} in flight on ${o.inflight} keep-alive connections, back to back, each at the next offset (Tiled's PATCH takes its offset from the client; an append that arrives before its predecessor extends the array over the gap, which the predecessor then fills). With subscribers, append k is sent only once every subscriber has received update k − ${run.appendCredit}, so none falls far behind (the gateway closes a connection past 8 MiB queued): the rate is what the gateway and its subscribers sustain together. appends/s counts the appends answered 200 in the window, by the load process's clock${base ? `; ${base.subscribers} subscribers is the baseline of the \`vs\` column` : ""}. Each subscriber decodes every frame (@msgpack/msgpack) and checks that sequences follow one another (out of order). After the window the writer stops and every subscriber must receive every answered append within ${run.drainLimitSeconds} s (\`complete\`). Load CPU is the load process's own; other CPU what every other process of the machine used meanwhile (/proc/stat less the gateway and the load process; the bench process itself idles meanwhile).
- **Fan-out**: an array of ${grouped(run.frameBytes / 8)} float64 (${mib(run.frameBytes)}, one Zarr chunk) written whole again and again, \`PUT /api/v1/array/full/{path}\`, ${run.frameInflight} in flight, each subscriber at most ${run.frameCredit} frames behind (as above); each update frame carries the ${mib(run.frameBytes)} payload as msgpack \`bin\`. **Baseline: a raw \`ws\` relay** (\`bench/datasets-relay.ts\`, a process of its own, as the gateway): \`PUT /relay\` reads the body and \`ws.send\`s it as is to every connected client, then answers 200: no checks, no log, no fsync, no Zarr, no encoding. The load process PUTs to it the very frame (msgpack bytes) a gateway subscriber received in the scenario just before, to the same number of subscribers, with the same writer, window and flow control, and its subscribers decode each frame the same way. MB/s counts WebSocket message bytes received; vs raw ws compares all subscribers' MB/s to the relay's with as many subscribers. Server CPU is the gateway's or the relay's own.
- This machine has ${run.machine.cores} cores for the gateway, the load process and the bench: figures are what they reach together here. Ratios compare figures of this run only: these machines are noisy from run to run.

## Results

### Latency: one ${appendSize} append → subscriber (${run.latency.rate} appends/s)

${markdownTable(latencyTable(run))}

${serverLine("the latency phase", run.latencyServer)}

Where the time goes, measured in the bench process with the gateway's own storage classes on the same data directory, ${run.breakdown.count} appends each, paced the same way (the gateway idle meanwhile):

${markdownTable(breakdownTable(run))}

${latencyVerdict(run)}

### Appends/s into one node (${appendSize} appends, ${o.inflight} in flight)

${markdownTable(throughputTable(run))}

### Fan-out of ${mib(run.frameBytes)} frames

${markdownTable(fanoutTable(run))}
${extra.length ? `\n${extra.join("\n")}\n` : ""}
## Target

${markdownTable(targetTable(run))}

## Options

\`\`\`text
${run.help.trimEnd()}
\`\`\`
`;
}
