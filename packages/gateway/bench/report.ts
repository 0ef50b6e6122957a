/**
 * The benchmark's results as plain-text tables for the terminal and as the Markdown of
 * docs/benchmarks.md: machine, command, method, scenario parameters, results with the ratio to
 * the baseline, idle memory, and the targets with pass or fail.
 */

import { markdownTable, type RunRecord, recordHeader, type Table, textTable } from "@beamgate/bench-kit";
import type { Window } from "./client-pool.js";
import type { IdleResult } from "./idle.js";
import { type LoadResult, PROBES, type Timing } from "./load.js";
import { HELP } from "./options.js";
import { PATHS, type Source } from "./scenarios.js";
import { checkTargets, ratio, type TargetCheck } from "./targets.js";

export interface Run extends RunRecord {
  readonly timing: Timing;
  readonly loads: readonly LoadResult[];
  readonly idle: readonly IdleResult[];
}

/** Other CPU above this, in cores, means something else ran during a window. */
const BUSY_OTHER_CPU = 0.2;
/** A client process above this share of a core may have limited what its clients received. */
const BUSY_CLIENT = 0.9;

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const ms = (micros: number) => fixed(micros / 1000, 2);
const kb = (bytes: number) => fixed(bytes / 1024, 1);
const percent = (x: number) => `${fixed(x * 100, 0)} %`;
const SOURCES: Readonly<Record<Source, string>> = { sim: "sim://", ca: "ca:// (IOC)" };
const verdict = (t: TargetCheck) => (t.pass === undefined ? "–" : t.pass ? "PASS" : "FAIL");

function scenarioTable(loads: readonly LoadResult[]): Table {
  return {
    headers: [
      "scenario",
      "source",
      "path",
      "batchWindowMs",
      "clients",
      "PVs",
      "Hz",
      "offered deliveries/s",
      "message bytes",
    ],
    textColumns: 3,
    rows: loads.map(({ scenario: s, offeredPerSecond, gateway }) => [
      s.name,
      SOURCES[s.source],
      PATHS[s.protocol],
      s.protocol === "pvapi" ? String(s.batchWindowMs) : "–",
      int(s.clients),
      int(s.pvs),
      int(s.hz),
      int(offeredPerSecond),
      int(Buffer.byteLength(gateway.template ?? "")),
    ]),
  };
}

function windowRow(r: LoadResult, server: string, w: Window): string[] {
  return [
    r.scenario.name,
    server,
    int(w.deliveriesPerSecond),
    percent(w.deliveriesPerSecond / r.offeredPerSecond),
    server === "beamgate" ? percent(ratio(r)) : "",
    int(w.messagesPerSecond),
    fixed(w.bytesPerSecond / 1e6, 1),
    ms(w.latency.quantile(0.5)),
    ms(w.latency.quantile(0.99)),
    ms(w.latency.max),
    fixed(w.serverCpu, 2),
    fixed(w.serverRssBytes / 2 ** 20, 0),
    fixed(w.clientCpu, 2),
    fixed(w.interruptCpu, 2),
    fixed(w.otherCpu, 2),
    int(w.closed),
  ];
}

function resultTable(loads: readonly LoadResult[]): Table {
  return {
    headers: [
      "scenario",
      "server",
      "deliveries/s",
      "of offered",
      "vs baseline",
      "messages/s",
      "MB/s",
      "p50 ms",
      "p99 ms",
      "max ms",
      "server CPU",
      "server RSS MiB",
      "client CPU",
      "irq CPU",
      "other CPU",
      "closed",
    ],
    textColumns: 2,
    rows: loads.flatMap((r) => [windowRow(r, "beamgate", r.gateway), windowRow(r, "baseline", r.baseline)]),
  };
}

function idleTable(idle: readonly IdleResult[]): Table {
  return {
    headers: ["server", "connections", "RSS KB / connection", "heap KB / connection"],
    textColumns: 1,
    rows: idle.map((r) => [r.server, int(r.connections), kb(r.rssBytesPerConnection), kb(r.heapBytesPerConnection)]),
  };
}

function targetTable(checks: readonly TargetCheck[]): Table {
  return {
    headers: ["target", "measured", "result"],
    textColumns: 3,
    rows: checks.map((t) => [t.target, t.measured, verdict(t)]),
  };
}

/** What the run's own figures say about how far they can be trusted. */
function caveats(run: Run): string[] {
  const windows = run.loads.flatMap((r) => [
    { name: `${r.scenario.name}/beamgate`, w: r.gateway },
    { name: `${r.scenario.name}/baseline`, w: r.baseline },
  ]);
  const notes: string[] = [];
  const busyClients = windows.filter(({ w }) => w.busiestClientCpu > BUSY_CLIENT).map(({ name }) => name);
  const busiest = Math.max(...windows.map(({ w }) => w.clientCpu));
  notes.push(
    `Client processes used at most ${fixed(busiest, 2)} cores together. ` +
      (busyClients.length > 0
        ? `In ${busyClients.join(", ")} one used over ${percent(BUSY_CLIENT)} of a core and may have limited ` +
          "what was received: those deliveries/s are lower bounds of the server's."
        : `None used over ${percent(BUSY_CLIENT)} of a core in any window: the clients did not limit the figures.`),
  );
  const disturbed = windows.filter(({ w }) => w.otherCpu > BUSY_OTHER_CPU).map(({ name }) => name);
  if (disturbed.length > 0) {
    notes.push(
      `Something else used more than ${BUSY_OTHER_CPU} cores during ${disturbed.join(", ")} ("other CPU"): ` +
        "those rows are disturbed.",
    );
  }
  const keptUp = run.loads
    .filter((r) => r.baseline.deliveriesPerSecond >= 0.95 * r.offeredPerSecond)
    .map((r) => r.scenario.name);
  if (keptUp.length > 0) {
    notes.push(
      `The baseline delivered at least 95 % of the offered load in ${keptUp.join(", ")}: there its ceiling is ` +
        "higher than measured, and the ratio is an upper bound of beamgate's share of the ceiling.",
    );
  }
  return notes;
}

export function consoleReport(run: Run): string {
  const parts = [
    `beamgate fan-out benchmark: ${run.machine.cpuModel}, ${run.machine.cores} cores, Node ${run.machine.node}`,
    "",
  ];
  if (run.loads.length > 0) parts.push(textTable(resultTable(run.loads)), "", ...caveats(run), "");
  if (run.idle.length > 0) parts.push(textTable(idleTable(run.idle)), "");
  parts.push(textTable(targetTable(checkTargets(run.loads, run.idle))), "");
  return parts.join("\n");
}

const method = (timing: Timing) => [
  "The gateway runs in a child process (`bench/server-child.ts`): `startGateway(loadConfig(...))` on 127.0.0.1, a " +
    "free port, log level `silent`, simulated IOC off, environment ignored; a fresh process for each measurement.",
  "K clients each subscribe to the same M simulated PVs `sim://noise(0,k,1/R)`, k = 1..M: M distinct topics on " +
    "one timer, each with a new random double every tick. (`sine` would not do: its ten-step cycle repeats a value, " +
    "and `/ws` sends only changes.) Each tick of the R Hz timer is one burst of K × M deliveries, the worst case " +
    "for latency.",
  "`ca-*` scenarios: the M PVs are `ca://BENCH:pv1` ... `ca://BENCH:pvM`, scalar DOUBLEs served by a `CaServer` " +
    "in a process of its own (`bench/ioc-child.ts`) that posts each a new random value every tick of its R Hz " +
    "timer, stamped with the microsecond wall clock. The gateway searches only that IOC (`EPICS_CA_ADDR_LIST`), " +
    "monitors each PV once whatever the number of clients, and its latency runs from the IOC's post over Channel " +
    "Access to the WebSocket client. The IOC's CPU counts in other CPU. `ca-native-wide` has few clients and many " +
    "PVs: 1000 channels into the gateway, each tick a burst of 40,000 messages out.",
  "`/ws` runs with `pvApi.batchWindowMs` 0 (each tick's values leave at once, one `update` or `batch_update` per " +
    "client) except in `ws-1000-batched`, which has the default 100 ms window and PVs at 5 Hz, so that a window " +
    "holds one tick and no value is replaced by a newer one. The native protocol uses the JSON envelope, one " +
    "`subscribe` per PV.",
  "`ophyd-*` scenarios: the ophyd-websocket pv-socket (`/api/v1/pv-socket`), each client subscribing its PVs in " +
    "one list-form `subscribe`; every value is one value frame, stamped in epoch seconds (the IOC's stamp). The " +
    "baseline replays one value frame per PV per tick, its stamp rewritten each tick.",
  "A delivery is one value received: one per native `data` message or ophyd value frame, one per entry of a `/ws` `update` or " +
    "`batch_update`. Offered deliveries/s is what the clients would receive if every value sent reached them.",
  `Clients: ${timing.clientProcesses} load process(es) (\`--client-procs\`), niced so as to yield the CPU, whose ` +
    "clients only count, and " +
    `${PROBES} probe clients in a process of their own that record latency too. Probes are opened and subscribed ` +
    "at even intervals among the load clients: servers write to subscribers in the order they subscribed, so the " +
    "probes sample every position of the fan-out, and, being few, read their messages without waiting behind a " +
    "thousand other sockets. On two cores the server needs one, so a second load process has no core of its own.",
  "Latency is the probe's receipt time minus the value's source timestamp (ISO 8601, parsed to the microsecond), " +
    "in 1 % buckets. Probes read the wall clock as `performance.timeOrigin + performance.now()` (microsecond " +
    "exact). The gateway stamps values with `core/time.ts` `nowMs()`, which re-aligns to `Date.now()` (whole " +
    "milliseconds) every second, so its stamps run 0 to 1 ms early and its latencies read up to 1 ms (0.5 ms on " +
    "average) high (not in `ca-*` scenarios, whose stamps are the IOC's). The baseline stamps with the probes' clock.",
  "Server CPU is user + system CPU seconds per second and server RSS the resident memory at the end of the window, " +
    "read from /proc/<pid>/stat and /proc/<pid>/status. Client CPU is the same for the client processes together. " +
    "From /proc/stat: irq CPU is the machine's interrupt time, mostly loopback TCP work charged to no process " +
    "(part of the cost of sending), and other CPU what other processes used.",
  "The baseline (`bench/baseline-server.ts`) is a raw `ws` server in a process of its own. It replays a data " +
    "message a gateway client received, timestamps restamped each tick, to the same number of clients at the same " +
    "rate: per client one message per tick over `/ws`, M over the native protocol. Each tick frames the bytes once " +
    "and writes them to each socket in a single write: the practical ceiling of Node for this traffic here.",
  "Idle memory: with 200 idle warm-up connections open, the server is garbage-collected (`--expose-gc`) and its " +
    "RSS read; N more idle connections (no subscription) are opened, and the server collected and read again. The " +
    "growth divided by N is the cost of one connection.",
];

export function markdownReport(run: Run): string {
  const { timing } = run;
  const parts = [
    ...recordHeader(
      "Fan-out benchmark",
      "packages/gateway/bench/fanout.ts",
      run,
      `Each server was measured for ${timing.windowSeconds} s, starting ${timing.warmupSeconds} s after its last client was subscribed.`,
    ),
    "",
    "## Method",
    "",
    ...method(timing).map((m) => `- ${m}`),
    "",
  ];
  if (run.loads.length > 0) {
    parts.push("## Scenarios", "", markdownTable(scenarioTable(run.loads)), "");
    parts.push("## Results", "", markdownTable(resultTable(run.loads)), "");
    for (const note of caveats(run)) parts.push(note, "");
  }
  if (run.idle.length > 0) parts.push("## Idle connections", "", markdownTable(idleTable(run.idle)), "");
  parts.push("## Targets", "", markdownTable(targetTable(checkTargets(run.loads, run.idle))), "");
  parts.push("## Options", "", "```text", HELP.trimEnd(), "```", "");
  return parts.join("\n");
}
