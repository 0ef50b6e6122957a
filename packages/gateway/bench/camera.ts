/**
 * `npm run bench:camera` (and the last part of `npm run bench`): the camera-socket benchmark. The
 * simulated camera (its own process) produces 1024x1024 UInt16 frames; the gateway (its own
 * process) serves them to 1, 5 and 20 viewers; the bench measures frames delivered, the gateway's
 * CPU and its event loop, against the cost of encoding the same frame with sharp alone, prints a
 * table and writes the camera section of docs/benchmarks.md. Bounded in time; stops by itself.
 */
import { forkChild, runBench, runRecord, writeDocSection } from "@beamgate/bench-kit";
import { Viewers } from "./camera-clients.js";
import { type CameraRun, consoleReport, markdownReport, type ScenarioResult } from "./camera-report.js";
import type { Baseline, CameraSetup, ServerSample } from "./camera-server.js";
import { cpuCores, sampleProcess } from "./proc.js";

const DOC = new URL("../../../../docs/benchmarks.md", import.meta.url);
const RUN_LIMIT_MS = 5 * 60_000;
const WARMUP_MS = 2_000;
const WINDOW_MS = 5_000;
const SETUP: CameraSetup = { size: 1024, dataType: "UInt16", hz: 10 };
/** 0 viewers: the gateway only receives the arrays (Channel Access ingest), the reference for the others. */
const SCENARIOS: ReadonlyArray<{ clients: number; hz: number }> = [
  { clients: 0, hz: 10 },
  { clients: 1, hz: 10 },
  { clients: 5, hz: 10 },
  { clients: 20, hz: 10 },
  { clients: 0, hz: 50 },
  { clients: 20, hz: 50 },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const write = !process.argv.includes("--no-write");
  const started = Date.now();

  const ioc = await forkChild(new URL("./camera-ioc.js", import.meta.url));
  const server = await forkChild(new URL("./camera-server.js", import.meta.url));
  try {
    const { udpPort } = await ioc.request<{ udpPort: number }>("listen");
    const { port, jpegQuality, threads } = await server.request<{ port: number; jpegQuality: number; threads: number }>(
      "listen",
      { udpPort },
    );
    const url = `ws://127.0.0.1:${port}/api/v1/camera-socket`;
    await server.request("camera", SETUP);
    await sleep(1000);
    process.stderr.write("baseline: sharp alone ...\n");
    const baseline = await server.request<Baseline>("baseline", SETUP);
    const results: ScenarioResult[] = [];
    let hz = SETUP.hz;
    for (const s of SCENARIOS) {
      if (s.hz !== hz) {
        await server.request("camera", { ...SETUP, hz: s.hz });
        hz = s.hz;
      }
      process.stderr.write(`${s.clients} viewer(s) at ${s.hz} Hz ...\n`);
      results.push(await measure(server, ioc.pid, server.pid, url, s.clients, s.hz));
    }
    const run: CameraRun = {
      ...runRecord({
        repoRoot: new URL("..", DOC),
        sources: "packages/gateway/src",
        script: "packages/gateway/dist/bench/camera.js",
        npmScripts: ["bench", "bench:camera"],
        started,
      }),
      setup: SETUP,
      jpegQuality,
      threads,
      warmupSeconds: WARMUP_MS / 1000,
      windowSeconds: WINDOW_MS / 1000,
      baseline,
      results,
    };
    process.stdout.write(consoleReport(run));
    if (write) {
      writeDocSection(DOC, "camera", "packages/gateway/bench/camera.ts", markdownReport(run));
      process.stderr.write(`wrote the camera section of ${DOC.pathname}\n`);
    }
  } finally {
    await Promise.all([server.stop(), ioc.stop()]);
  }
}

async function measure(
  server: Awaited<ReturnType<typeof forkChild>>,
  iocPid: number,
  serverPid: number,
  url: string,
  clients: number,
  hz: number,
): Promise<ScenarioResult> {
  const viewers = await Viewers.open(url, clients);
  try {
    await sleep(WARMUP_MS);
    const before = viewers.counts();
    const cpu = { server: sampleProcess(serverPid), ioc: sampleProcess(iocPid), client: sampleProcess(process.pid) };
    await server.request("mark");
    await sleep(WINDOW_MS);
    const sample = await server.request<ServerSample>("sample");
    const after = viewers.counts();
    const end = { server: sampleProcess(serverPid), ioc: sampleProcess(iocPid), client: sampleProcess(process.pid) };
    const seconds = sample.seconds;
    const perClient = after.map((a, i) => (a.frames - (before[i]?.frames ?? 0)) / seconds);
    const bytes = after.reduce((n, a, i) => n + a.bytes - (before[i]?.bytes ?? 0), 0);
    return {
      clients,
      hz,
      server: sample,
      framesPerClient: clients > 0 ? perClient.reduce((a, b) => a + b, 0) / clients : Number.NaN,
      minFramesPerClient: clients > 0 ? Math.min(...perClient) : Number.NaN,
      megabytesPerSecond: bytes / seconds / 1e6,
      serverCpu: cpuCores(cpu.server, end.server),
      serverRssMiB: end.server.rssBytes / 2 ** 20,
      iocCpu: cpuCores(cpu.ioc, end.ioc),
      clientCpu: cpuCores(cpu.client, end.client),
      settings: viewers.viewers[0]?.settings ?? "",
    };
  } finally {
    await viewers.close();
    await sleep(500);
  }
}

runBench("bench:camera", RUN_LIMIT_MS, main);
