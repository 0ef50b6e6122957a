/**
 * The RTA bench's gateway, in a process of its own: `startGateway` on 127.0.0.1, a free port, its
 * data in the directory the bench gives, no demo session, no simulated IOC, every request allowed
 * (as the tests' gateways), logging silent. Handlers:
 *
 * - `listen`: start, answer with the port;
 * - `mark` / `sample`: the process's CPU and its event loop (utilization, delay) between the two;
 *   with `profile` (a file path) given to `mark`, a CPU profile of the same span (node:inspector)
 *   written there by `sample`.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { answerRequests } from "@beamgate/bench-kit";
import { ConfigSchema } from "../src/config/schema.js";
import { type Gateway, startGateway } from "../src/gateway.js";
import { createLogger } from "../src/log.js";

export interface ServerSample {
  readonly seconds: number;
  /** User + system CPU, in cores. */
  readonly cpu: number;
  /** Event-loop utilization: the share of the time the loop was busy. */
  readonly loopBusy: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  readonly rssMiB: number;
}

let gateway: Gateway | undefined;
const delay = monitorEventLoopDelay({ resolution: 5 });
let mark = { at: performance.now(), elu: performance.eventLoopUtilization(), cpu: process.cpuUsage() };
let profiler: { session: Session; file: string } | undefined;

answerRequests({
  async listen({ dataDir }: { dataDir: string }) {
    const config = ConfigSchema.parse({
      host: "127.0.0.1",
      port: 0,
      logLevel: "silent",
      dataDir,
      ca: { simIoc: "off" },
      telemetry: { demo: false },
      security: { rules: "ALLOW ANY *", auditFile: "/dev/null" },
      limits: { maxConnectionsPerIp: 1_000_000 },
    });
    // Channel Access sees an empty environment: it has nothing to search here.
    gateway = await startGateway(config, createLogger("silent"), {});
    delay.enable();
    return { port: gateway.address.port };
  },

  async mark({ profile }: { profile?: string } = {}) {
    if (profile) {
      const session = new Session();
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.setSamplingInterval", { interval: 500 });
      await session.post("Profiler.start");
      profiler = { session, file: profile };
    }
    delay.reset();
    mark = { at: performance.now(), elu: performance.eventLoopUtilization(), cpu: process.cpuUsage() };
    return true;
  },

  async sample(): Promise<ServerSample> {
    const seconds = (performance.now() - mark.at) / 1000;
    const cpu = process.cpuUsage(mark.cpu);
    const elu = performance.eventLoopUtilization(mark.elu).utilization;
    if (profiler) {
      const { profile } = await profiler.session.post("Profiler.stop");
      writeFileSync(profiler.file, JSON.stringify(profile));
      profiler.session.disconnect();
      profiler = undefined;
    }
    return {
      seconds,
      cpu: (cpu.user + cpu.system) / 1e6 / seconds,
      loopBusy: elu,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
      rssMiB: process.memoryUsage.rss() / 2 ** 20,
    };
  },

  async close() {
    await gateway?.close();
    gateway = undefined;
    return true;
  },
});
