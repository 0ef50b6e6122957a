/** The camera bench's results as text for the terminal and as the Markdown of docs/benchmarks.md. */
import { markdownTable, type RunRecord, recordHeader, type Table, textTable } from "@beamgate/bench-kit";
import type { Baseline, CameraSetup, ServerSample } from "./camera-server.js";

export interface ScenarioResult {
  readonly clients: number;
  readonly hz: number;
  readonly server: ServerSample;
  readonly framesPerClient: number;
  readonly minFramesPerClient: number;
  readonly megabytesPerSecond: number;
  readonly serverCpu: number;
  readonly serverRssMiB: number;
  readonly iocCpu: number;
  readonly clientCpu: number;
  /** The settings frame the viewers got. */
  readonly settings: string;
}

export interface CameraRun extends RunRecord {
  readonly setup: CameraSetup;
  readonly jpegQuality: number;
  readonly threads: number;
  readonly warmupSeconds: number;
  readonly windowSeconds: number;
  readonly baseline: Baseline;
  readonly results: readonly ScenarioResult[];
}

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const percent = (x: number) => `${fixed(x * 100, 0)} %`;

/** The CPU sharp alone would need to encode the frames the camera offered, in cores. */
const sharpAloneCpu = (run: CameraRun, r: ScenarioResult) =>
  (run.baseline.encodeMs / 1000) * (r.server.arrays / r.server.seconds);

/** The gateway's CPU for the same camera rate with no viewer: receiving the arrays only. */
const ingestCpu = (run: CameraRun, r: ScenarioResult) =>
  run.results.find((o) => o.clients === 0 && o.hz === r.hz)?.serverCpu ?? Number.NaN;

function resultsTable(run: CameraRun): Table {
  return {
    headers: [
      "viewers",
      "camera Hz",
      "arrays/s",
      "encodes/s",
      "frames/s per viewer",
      "min",
      "of arrays",
      "MB/s out",
      "server CPU",
      "camera CPU",
      "sharp alone CPU",
      "vs sharp alone",
      "loop busy",
      "loop ms/frame",
      "loop delay p99 ms",
      "max ms",
      "server RSS MiB",
      "IOC CPU",
      "viewers CPU",
    ],
    textColumns: 0,
    rows: run.results.map((r) => {
      const s = r.server;
      const arrays = s.arrays / s.seconds;
      const alone = sharpAloneCpu(run, r);
      const added = r.clients > 0 ? r.serverCpu - ingestCpu(run, r) : Number.NaN;
      return [
        String(r.clients),
        String(r.hz),
        fixed(arrays, 1),
        fixed(s.encodes / s.seconds, 1),
        fixed(r.framesPerClient, 1),
        fixed(r.minFramesPerClient, 1),
        r.clients > 0 ? percent(r.framesPerClient / arrays) : "–",
        fixed(r.megabytesPerSecond, 1),
        fixed(r.serverCpu, 2),
        fixed(added, 2),
        r.clients > 0 ? fixed(alone, 2) : "–",
        r.clients > 0 ? `${fixed(added / alone, 1)}×` : "–",
        percent(s.loopBusy),
        fixed((s.loopBusy * 1000) / arrays, 2),
        fixed(s.loopDelayP99Ms, 1),
        fixed(s.loopDelayMaxMs, 1),
        fixed(r.serverRssMiB, 0),
        fixed(r.iocCpu, 2),
        fixed(r.clientCpu, 2),
      ];
    }),
  };
}

function baselineTable(run: CameraRun): Table {
  const b = run.baseline;
  return {
    headers: ["step, one 1024x1024 UInt16 Mono frame (log)", "where it runs in the gateway", "ms"],
    textColumns: 2,
    rows: [
      ["sharp alone: 8-bit pixels to JPEG", "libuv thread pool", fixed(b.encodeMs, 2)],
      ["normalization and reshape in JavaScript", "normalization thread", fixed(b.normalizeMs, 2)],
      ["copy of the array for the thread", "event loop", fixed(b.copyMs, 2)],
    ],
  };
}

export function consoleReport(run: CameraRun): string {
  const settings = run.results.find((r) => r.settings)?.settings ?? "";
  return [
    "",
    `camera-socket: ${run.setup.size}x${run.setup.size} ${run.setup.dataType}, JPEG quality ${run.jpegQuality}, settings frame ${settings}`,
    `baseline: JPEG ${fixed(run.baseline.jpegBytes / 1024, 0)} KiB`,
    textTable(baselineTable(run)),
    "",
    textTable(resultsTable(run)),
    "",
  ].join("\n");
}

export function markdownReport(run: CameraRun): string {
  const b = run.baseline;
  const header = recordHeader(
    "Camera-socket benchmark",
    "packages/gateway/bench/camera.ts",
    run,
    `Each scenario was measured for ${run.windowSeconds} s, starting ${run.warmupSeconds} s after its viewers connected.`,
  ).join("\n");
  return `${header}

## Method

- The simulated IOC runs in a process of its own (\`bench/camera-ioc.ts\`): its camera \`13SIM1:\` is set through its PVs to ${run.setup.size}x${run.setup.size} Mono ${run.setup.dataType} and AcquireTime 1/Hz (the simulator draws at most 50 frames/s), and posts each frame to \`13SIM1:image1:ArrayData\`, a SHORT waveform of ${((run.setup.size * run.setup.size * 2) / 2 ** 20).toFixed(0)} MiB.
- The gateway runs in another (\`bench/camera-server.ts\`): the hub with \`ca://\` searching only that IOC, and \`/api/v1/camera-socket\` with its defaults (JPEG quality ${run.jpegQuality}, log normalization, ${run.threads} normalization thread(s)).
- N viewers in the bench's process send \`{}\` (the 13SIM1 defaults), so all share one feed, and count the frames they receive.
- arrays/s is what reached the gateway; encodes/s what it normalized and encoded (once per frame, whatever the number of viewers; fewer when frames come faster than one encoding, newest first); frames/s per viewer what each viewer received (mean, and the slowest).
- Server CPU is the gateway process's user + system CPU per second (all its threads: event loop, normalization thread, libuv pool running sharp), from /proc. The rows with 0 viewers measure the gateway receiving the arrays over Channel Access and nothing else (it always holds one subscription to the array, as a REST client or pv-socket viewer might); **camera CPU** is server CPU minus that row's at the same rate: what the camera-socket adds. **sharp alone** is the CPU the same arrays/s would cost if each frame were only encoded by sharp, once, from ready 8-bit pixels (the baseline's encode time × arrays/s); **vs sharp alone** is camera CPU over it.
- loop busy is the event loop's utilization (\`performance.eventLoopUtilization\`) over the window, Channel Access ingest included (see the 0-viewer rows); loop ms/frame divides it by arrays/s. Loop delay is \`monitorEventLoopDelay\` (5 ms resolution): how late a timer ran, that is how long the loop was blocked at worst.

## Baseline: one frame, step by step

JPEG of ${fixed(b.jpegBytes / 1024, 0)} KiB at quality ${run.jpegQuality}; each step timed alone in the gateway's process (mean of 20).

${markdownTable(baselineTable(run))}

## Results

${markdownTable(resultsTable(run))}
`;
}
