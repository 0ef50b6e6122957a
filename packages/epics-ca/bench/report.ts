/**
 * The ingest bench's results as plain-text tables for the terminal and as the "Channel Access
 * ingest" section of docs/benchmarks.md (between its markers, the rest of the file untouched):
 * machine, command, method, scenarios, results with the ratio to the raw-socket baseline, and the
 * target with pass or fail.
 */
import { markdownTable, type RunRecord, recordHeader, type Table, textTable } from "@beamgate/bench-kit";
import type { Measurement } from "./measure.js";
import { HELP, type Timing } from "./options.js";
import { offeredPerSecond, type Reader, type Scenario, type Server } from "./scenarios.js";

export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly measurements: readonly Measurement[];
}

export interface Run extends RunRecord {
  readonly timing: Timing;
  readonly results: readonly ScenarioResult[];
}

/** The target of the issue: monitor updates per second one CA client takes. */
export const TARGET_UPDATES_PER_SECOND = 200_000;
/** A window at or above this share of the offered load took it all (rates are measured, not exact). */
const IN_FULL = 0.99;
/** A process above this share of a core is saturated: it, not its peer, set the rate. */
const SATURATED = 0.9;
/** Other CPU above this, in cores, means something else ran during a window. */
const BUSY_OTHER_CPU = 0.2;

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const percent = (x: number) => (Number.isFinite(x) ? `${fixed(x * 100, 0)} %` : "–");
const kilo = (n: number) => `${fixed(n / 1000, 0)}k/s`;

function find(r: ScenarioResult, server: Server, reader: Reader): Measurement | undefined {
  return r.measurements.find((m) => m.server === server && m.reader === reader);
}

/** The baseline of a window: the raw-socket reader against the same server. */
function baselineOf(r: ScenarioResult, m: Measurement): Measurement | undefined {
  return m.reader === "ca-client" ? find(r, m.server, "raw-socket") : undefined;
}

/** Which process set the rate: the one that used (nearly) a whole core. */
function saturated(m: Measurement): string {
  const reader = m.readerCpu >= SATURATED;
  const server = m.serverCpu >= SATURATED;
  return reader && server ? "both" : reader ? "reader" : server ? "server" : "";
}

function scenarioTable(results: readonly ScenarioResult[]): Table {
  return {
    headers: ["scenario", "DBR type", "PVs", "Hz per PV", "offered updates/s", "message bytes"],
    textColumns: 2,
    rows: results.map(({ scenario: s }) => [
      s.name,
      "TIME_DOUBLE",
      int(s.pvs),
      int(s.hz),
      int(offeredPerSecond(s)),
      "40",
    ]),
  };
}

function resultRow(r: ScenarioResult, m: Measurement): string[] {
  const base = baselineOf(r, m);
  return [
    r.scenario.name,
    m.server,
    m.reader,
    int(m.postedPerSecond),
    percent(m.postedPerSecond / m.offeredPerSecond),
    int(m.receivedPerSecond),
    percent(m.receivedPerSecond / m.postedPerSecond),
    base ? percent(m.receivedPerSecond / base.receivedPerSecond) : "",
    fixed(m.bytesPerSecond / 1e6, 1),
    fixed(m.readerCpu, 2),
    fixed(m.readerMicrosPerUpdate, 2),
    base ? `${fixed(m.readerMicrosPerUpdate / base.readerMicrosPerUpdate, 1)}×` : "",
    fixed(m.serverCpu, 2),
    fixed(m.serverMicrosPerUpdate, 2),
    fixed(m.serverRssBytes / 2 ** 20, 0),
    saturated(m),
    fixed(m.interruptCpu, 2),
    fixed(m.otherCpu, 2),
    fixed(m.connectSeconds, 2),
  ];
}

function resultTable(results: readonly ScenarioResult[]): Table {
  return {
    headers: [
      "scenario",
      "server",
      "reader",
      "posted/s",
      "of offered",
      "received/s",
      "of posted",
      "vs raw-socket",
      "MB/s",
      "reader CPU",
      "reader µs/update",
      "vs raw-socket µs",
      "server CPU",
      "server µs/update",
      "server RSS MiB",
      "saturated",
      "irq CPU",
      "other CPU",
      "connect s",
    ],
    textColumns: 3,
    rows: results.flatMap((r) => r.measurements.map((m) => resultRow(r, m))),
  };
}

interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** undefined: reported, no threshold. */
  readonly pass: boolean | undefined;
}

const LABEL: Record<Server, string> = {
  replay: "CA client alone (replay server)",
  "ca-server": "end to end (CaServer → CaClient)",
};

function checkTargets(results: readonly ScenarioResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const target = `≥ ${int(TARGET_UPDATES_PER_SECOND)} monitor updates/s taken by one CA client`;
  for (const server of ["replay", "ca-server"] as const) {
    for (const r of results) {
      const ca = find(r, server, "ca-client");
      if (!ca) continue;
      const base = baselineOf(r, ca);
      const vsBase = base
        ? `, ${percent(ca.receivedPerSecond / base.receivedPerSecond)} of raw-socket's ${kilo(base.receivedPerSecond)}`
        : "";
      const offered = offeredPerSecond(r.scenario);
      // A window offering exactly the target passes if it was all taken; a larger offer, if the target was.
      const pass =
        offered === TARGET_UPDATES_PER_SECOND
          ? ca.receivedPerSecond >= IN_FULL * offered
          : ca.receivedPerSecond >= TARGET_UPDATES_PER_SECOND;
      const cpu =
        `; client ${fixed(ca.readerMicrosPerUpdate, 2)} µs CPU/update` +
        (base ? ` (raw-socket ${fixed(base.readerMicrosPerUpdate, 2)} µs)` : "") +
        (server === "ca-server" ? `, server ${fixed(ca.serverMicrosPerUpdate, 2)} µs/update` : "");
      checks.push({
        target: `${target}: ${LABEL[server]}`,
        measured: `${r.scenario.name}: ${kilo(ca.receivedPerSecond)} of ${kilo(offered)} offered${vsBase}${cpu}`,
        pass: offered < TARGET_UPDATES_PER_SECOND ? undefined : pass,
      });
    }
  }
  return checks;
}

/** The run in a few sentences: the client's ceiling, the server's, and end to end. */
function summary(results: readonly ScenarioResult[]): string[] {
  const lines: string[] = [];
  const best = (server: Server, reader: Reader) =>
    results
      .map((r) => ({ r, m: find(r, server, reader) }))
      .filter((x): x is { r: ScenarioResult; m: Measurement } => x.m !== undefined)
      .sort((a, b) => b.m.receivedPerSecond - a.m.receivedPerSecond)[0];
  const client = best("replay", "ca-client");
  if (client) {
    const base = baselineOf(client.r, client.m);
    lines.push(
      `- CA client alone: at most ${int(client.m.receivedPerSecond)} updates/s (${client.r.scenario.name}, from the replay server), ` +
        `${fixed(client.m.readerMicrosPerUpdate, 2)} µs CPU per update, with ${fixed(client.m.readerCpu * 100, 0)} % of a core` +
        (base
          ? `; the bare reader took ${int(base.receivedPerSecond)}/s at ${fixed(base.readerMicrosPerUpdate, 2)} µs per update ` +
            `(CA client = ${percent(client.m.receivedPerSecond / base.receivedPerSecond)} of its rate, ${fixed(client.m.readerMicrosPerUpdate / base.readerMicrosPerUpdate, 0)}× its CPU per update).`
          : "."),
    );
  }
  const server = best("ca-server", "raw-socket");
  const replay = server && find(server.r, "replay", "raw-socket");
  if (server) {
    lines.push(
      `- CaServer: at most ${int(server.m.postedPerSecond)} updates/s to one bare reader (${server.r.scenario.name}), ` +
        `${fixed(server.m.serverMicrosPerUpdate, 2)} µs CPU per update, with ${fixed(server.m.serverCpu * 100, 0)} % of a core` +
        (replay
          ? `; the replay server wrote ${int(replay.postedPerSecond)}/s at ${fixed(replay.serverMicrosPerUpdate, 2)} µs per update.`
          : "."),
    );
  }
  const both = best("ca-server", "ca-client");
  if (both) {
    lines.push(
      `- End to end (CaServer → CaClient): at most ${int(both.m.receivedPerSecond)} updates/s (${both.r.scenario.name}), ` +
        `client ${fixed(both.m.readerMicrosPerUpdate, 2)} µs and server ${fixed(both.m.serverMicrosPerUpdate, 2)} µs CPU per update.`,
    );
  }
  return lines;
}

function targetTable(checks: readonly TargetCheck[]): Table {
  return {
    headers: ["target", "measured", "result"],
    textColumns: 3,
    rows: checks.map((t) => [t.target, t.measured, t.pass === undefined ? "–" : t.pass ? "PASS" : "FAIL"]),
  };
}

/** What the run's own figures say about how far they can be trusted, and who set each rate. */
function caveats(run: Run): string[] {
  const notes: string[] = [];
  for (const r of run.results) {
    for (const m of r.measurements) {
      const name = `${r.scenario.name}/${m.server}/${m.reader}`;
      const share = m.receivedPerSecond / m.postedPerSecond;
      if (m.readerCpu >= SATURATED && share < IN_FULL) {
        notes.push(
          `${name}: the reader used ${fixed(m.readerCpu * 100, 0)} % of a core and took ${percent(share)} of what was posted: the reader set the rate.`,
        );
      } else if (m.serverCpu >= SATURATED && m.postedPerSecond < IN_FULL * m.offeredPerSecond) {
        notes.push(
          `${name}: the server used ${fixed(m.serverCpu * 100, 0)} % of a core and posted ${percent(m.postedPerSecond / m.offeredPerSecond)} of the offered load: the server set the rate, and what the reader took is a lower bound of its ceiling.`,
        );
      }
      if (m.reader === "raw-socket" && m.server === "replay" && share >= IN_FULL && m.readerCpu < SATURATED)
        notes.push(
          `${name}: the bare reader took all that was offered with ${fixed(m.readerCpu * 100, 0)} % of a core: its ceiling is higher than measured, so the CA client's share of it is an upper bound (compare CPU per update instead).`,
        );
      if (m.otherCpu > BUSY_OTHER_CPU)
        notes.push(
          `${name}: other processes used ${fixed(m.otherCpu, 2)} cores during the window; its figures are suspect.`,
        );
      if (m.disconnects > 0) notes.push(`${name}: ${m.disconnects} channel(s) disconnected during the window.`);
    }
  }
  return notes;
}

export function consoleReport(run: Run): string {
  const lines = [
    "",
    `Channel Access ingest, ${run.date} (${fixed(run.seconds, 0)} s)`,
    "",
    textTable(resultTable(run.results)),
    "",
    textTable(targetTable(checkTargets(run.results))),
    "",
    ...summary(run.results),
    "",
    ...caveats(run),
    "",
  ];
  return `${lines.join("\n")}\n`;
}

/** The "Channel Access ingest" section of docs/benchmarks.md. */
export function markdownReport(run: Run): string {
  const { timing: t } = run;
  const notes = caveats(run);
  return [
    ...recordHeader(
      "Channel Access ingest",
      "packages/epics-ca/bench/ingest.ts",
      run,
      `Each window lasted ${t.windowSeconds} s, starting ${t.warmupSeconds} s after every monitor had received its first value.`,
      "(`npm run bench:ca` rewrites this section only; `npm run bench` the fan-out section, then this one.)",
    ),
    "",
    "## Method",
    "",
    "- The question: how many monitor updates per second one `CaClient` takes from a server, and what each costs in CPU. Target (issue): ≥ 200,000 updates/s on this machine, e.g. 2000 PVs × 100 Hz.",
    "- Server and reader each run in a process of their own (`bench/server-child.ts`, `bench/reader-child.ts`), fresh for every window, on 127.0.0.1; the bench process itself only waits. CPU is each process's own `process.cpuUsage()` (user + system) over the window, so the client's cost is measured alone; loopback TCP work done in interrupts is charged to neither. With 2 cores, server and reader have one each.",
    "- Every PV is a scalar DOUBLE, monitored as DBR_TIME_DOUBLE with mask VALUE | ALARM: one 40-byte message per update (16-byte header, 24-byte payload). A pacer (`bench/pacer.ts`) drives the server at N × R updates/s in all, round-robin over the PVs and spread evenly: each turn emits what has fallen due since the start (at most one round of the PVs, then it yields to I/O; turns are 1 ms apart when it is on time). A pacer more than 20 ms behind skips the oldest updates rather than catch up, so a saturated server emits what it can: posted/s is what it reached.",
    "- Servers:",
    "  - `ca-server`: `CaServer` serving N `ServerPv`s; each update is a `post()` of a new random value, stamped with `Date.now()`.",
    "  - `replay`: a bare server in the bench (`serveReplay`) speaking just enough CA to be found and monitored (search replies, VERSION, ACCESS_RIGHTS and CREATE_CHAN, EVENT_ADD with a first value, ECHO, EVENTS_OFF / EVENTS_ON), which then writes a round of monitor updates encoded once ahead of time (this package's encoder, the subscription ids the reader asked for), as many per write as are due. Its cost per update is a slice of a buffer, so the reader sets the rate: this is how the client's own ceiling is found. It holds back while the client has sent EVENTS_OFF or 1 MiB waits in its socket; its pacer then skips.",
    "- Readers (one TCP connection each):",
    "  - `ca-client`: `CaClient` with `addressList` the server's search port; N channels, `wait()` for all, then `monitor()` on each. The listener counts and adds the value to a checksum: all the CA work an application gets (read, parse, state checks, DBR decode, dispatch, flow control).",
    "  - `raw-socket` (the baseline): a bare `net.Socket` that opens the same channels and monitors with requests encoded ahead of time, then walks the CA headers of what arrives (payloads skipped, not copied) and counts EVENT_ADD responses: the cost of the transport alone.",
    "- posted/s: updates the server emitted per second, by its clock; received/s: updates the reader counted per second, by its own. `of posted` below 100 % means the reader fell behind, or the server held updates back or conflated them; above, that the reader was still taking updates posted before the window.",
    "- µs/update is the process's CPU time over the window divided by the updates it received (reader) or emitted (server). `saturated` names the process that used ≥ 90 % of a core: the one that set the rate. From /proc/stat: irq CPU is the machine's interrupt time (loopback TCP work charged to no process), other CPU what processes other than server and reader used (the bench process itself included; anything above 0.2 makes the window suspect).",
    "- Ratios compare windows of the same run against the same server: `vs raw-socket` is the CA client's updates/s over the bare reader's, `vs raw-socket µs` its CPU per update over the bare reader's. Against `replay` the ratio is the CA client's ingest as a share of the transport's; against `ca-server`, as a share of what the server delivers.",
    "",
    "## Scenarios",
    "",
    markdownTable(scenarioTable(run.results)),
    "",
    ...run.results.map(({ scenario: s }) => `- ${s.name}: ${s.description}.`),
    "",
    "## Results",
    "",
    markdownTable(resultTable(run.results)),
    "",
    ...(notes.length > 0 ? [...notes.map((n) => `- ${n}`), ""] : []),
    "## Summary",
    "",
    ...summary(run.results),
    "",
    "## Target",
    "",
    markdownTable(targetTable(checkTargets(run.results))),
    "",
    "## Options",
    "",
    "```text",
    HELP.trimEnd(),
    "```",
  ].join("\n");
}
