/**
 * One window of one scenario with one server and one reader: fresh server and reader processes, channels and
 * monitors opened, posting started, a warm-up, then the window, between two samples of both
 * processes (posts, updates, bytes, CPU time). Every step has a time limit.
 */
import { type Child, forkChild } from "@beamgate/bench-kit";
import { sampleMachine } from "./machine.js";
import type { Timing } from "./options.js";
import type { Connected, ConnectRequest, ReaderSample } from "./reader-child.js";
import type { Reader, Scenario, Server } from "./scenarios.js";
import { offeredPerSecond } from "./scenarios.js";
import type { ListenRequest, Ports, ServerSample } from "./server-child.js";

export interface Measurement {
  readonly server: Server;
  readonly reader: Reader;
  /** From the first channel created to the first value of every monitor. */
  readonly connectSeconds: number;
  readonly windowSeconds: number;
  readonly offeredPerSecond: number;
  /** Posts (CA server) or updates written (replay) per second. */
  readonly postedPerSecond: number;
  /** Monitor updates the reader took per second. */
  readonly receivedPerSecond: number;
  /** Bytes per second the reader took (bare readers only; NaN for the CA client). */
  readonly bytesPerSecond: number;
  /** CPU of the reader process, in cores (CPU seconds per second). */
  readonly readerCpu: number;
  readonly readerMicrosPerUpdate: number;
  readonly serverCpu: number;
  /** Server CPU per update posted. */
  readonly serverMicrosPerUpdate: number;
  readonly serverRssBytes: number;
  readonly disconnects: number;
  /** Machine CPU (cores) in interrupts (loopback TCP work charged to no process). */
  readonly interruptCpu: number;
  /** Machine CPU (cores) used by processes other than the server and reader. */
  readonly otherCpu: number;
}

const CONNECT_TIMEOUT_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SERVER_MODE: Record<Server, ListenRequest["mode"]> = { "ca-server": "ca", replay: "replay" };
const READER_MODE: Record<Reader, ConnectRequest["mode"]> = { "ca-client": "ca", "raw-socket": "raw" };

function profileArgs(dir: string | undefined, name: string): string[] {
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
}

export async function measure(
  s: Scenario,
  server: Server,
  reader: Reader,
  timing: Timing,
  profileDir: string | undefined,
): Promise<Measurement> {
  const children: Child[] = [];
  try {
    const name = `${s.name}-${server}-${reader}`;
    const serverChild = await forkChild(
      new URL("./server-child.js", import.meta.url),
      profileArgs(profileDir, `${name}.server`),
    );
    children.push(serverChild);
    const readerChild = await forkChild(
      new URL("./reader-child.js", import.meta.url),
      profileArgs(profileDir, `${name}.reader`),
    );
    children.push(readerChild);
    const ports = await serverChild.request<Ports>("listen", {
      mode: SERVER_MODE[server],
      pvs: s.pvs,
    } satisfies ListenRequest);
    const connected = await readerChild.request<Connected>(
      "connect",
      { mode: READER_MODE[reader], pvs: s.pvs, ...ports } satisfies ConnectRequest,
      CONNECT_TIMEOUT_MS,
    );
    await serverChild.request("post", { perSecond: offeredPerSecond(s) });
    await sleep(timing.warmupSeconds * 1000);
    const sample = () =>
      Promise.all([
        serverChild.request<ServerSample>("sample"),
        readerChild.request<ReaderSample>("sample"),
        { ...sampleMachine(), at: performance.timeOrigin + performance.now() },
      ]);
    const [s0, r0, m0] = await sample();
    await sleep(timing.windowSeconds * 1000);
    const [s1, r1, m1] = await sample();
    const machineSeconds = (m1.at - m0.at) / 1000;
    const serverSeconds = (s1.at - s0.at) / 1000;
    const readerSeconds = (r1.at - r0.at) / 1000;
    const posted = s1.emitted - s0.emitted;
    const received = r1.updates - r0.updates;
    const readerCpuMicros = r1.cpuMicros - r0.cpuMicros;
    const serverCpuMicros = s1.cpuMicros - s0.cpuMicros;
    return {
      server,
      reader,
      connectSeconds: connected.seconds,
      windowSeconds: readerSeconds,
      offeredPerSecond: offeredPerSecond(s),
      postedPerSecond: posted / serverSeconds,
      receivedPerSecond: received / readerSeconds,
      bytesPerSecond: reader === "ca-client" ? Number.NaN : (r1.bytes - r0.bytes) / readerSeconds,
      readerCpu: readerCpuMicros / 1e6 / readerSeconds,
      readerMicrosPerUpdate: readerCpuMicros / received,
      serverCpu: serverCpuMicros / 1e6 / serverSeconds,
      serverMicrosPerUpdate: serverCpuMicros / posted,
      serverRssBytes: s1.rssBytes,
      disconnects: r1.disconnects - r0.disconnects,
      interruptCpu: (m1.interruptSeconds - m0.interruptSeconds) / machineSeconds,
      otherCpu: Math.max(
        0,
        (m1.processSeconds - m0.processSeconds - (readerCpuMicros + serverCpuMicros) / 1e6) / machineSeconds,
      ),
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
