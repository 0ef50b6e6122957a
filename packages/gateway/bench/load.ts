/**
 * One fan-out scenario, measured twice in a row: against the gateway (in its own process, with the
 * scenario's IOC in another when its PVs come over Channel Access), then against the raw `ws` baseline replaying a message the gateway's clients received, at the same
 * rate to the same number of clients. Each side gets fresh server and client processes.
 */

import { type Child, forkChild } from "@beamgate/bench-kit";
import { ClientPool, type PoolRequest, type Window } from "./client-pool.js";
import {
  baselinePlan,
  gatewayEnv,
  gatewayFlags,
  iocPvNames,
  type LoadScenario,
  offeredPerSecond,
  PATHS,
  subscribeMessages,
} from "./scenarios.js";

export interface Timing {
  /** Seconds between the last client ready and the start of the window. */
  readonly warmupSeconds: number;
  readonly windowSeconds: number;
  readonly clientProcesses: number;
}

export interface LoadResult {
  readonly scenario: LoadScenario;
  readonly offeredPerSecond: number;
  readonly gateway: Window;
  readonly baseline: Window;
}

/** Clients of each scenario that record latency (see `client-pool.ts`). */
export const PROBES = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens the clients against a started server, warms up, measures, and stops both. */
async function measure(server: Child, request: PoolRequest, timing: Timing): Promise<Window> {
  let pool: ClientPool | undefined;
  try {
    pool = await ClientPool.open(request, timing.clientProcesses, PROBES);
    await sleep(timing.warmupSeconds * 1000);
    return await pool.measure(server.pid, timing.windowSeconds);
  } finally {
    await pool?.close();
    await server.stop();
  }
}

/** For a `ca-*` scenario, the IOC serving its PVs (`ioc-child.ts`), and the UDP port to search on. */
async function startIoc(s: LoadScenario): Promise<{ ioc?: Child; udpPort?: number }> {
  if (s.source !== "ca") return {};
  const ioc = await forkChild(new URL("./ioc-child.js", import.meta.url));
  const { udpPort } = await ioc.request<{ udpPort: number }>("listen", { names: iocPvNames(s), hz: s.hz });
  return { ioc, udpPort };
}

export async function runLoad(s: LoadScenario, timing: Timing): Promise<LoadResult> {
  const { ioc, udpPort } = await startIoc(s);
  let gateway: Window;
  try {
    const gatewayServer = await forkChild(new URL("./server-child.js", import.meta.url));
    const { port } = await gatewayServer.request<{ port: number }>("listen", {
      flags: gatewayFlags(s),
      env: gatewayEnv(udpPort),
    });
    gateway = await measure(
      gatewayServer,
      {
        url: `ws://127.0.0.1:${port}${PATHS[s.protocol]}`,
        count: s.clients,
        protocol: s.protocol,
        subscribe: subscribeMessages(s),
      },
      timing,
    );
  } finally {
    await ioc?.stop();
  }
  if (gateway.template === undefined) throw new Error(`${s.name}: no client received a data message`);

  const baselineServer = await forkChild(new URL("./baseline-server.js", import.meta.url));
  const address = await baselineServer.request<{ port: number }>("listen");
  await baselineServer.request("broadcast", baselinePlan(s, gateway.template));
  const baseline = await measure(
    baselineServer,
    {
      url: `ws://127.0.0.1:${address.port}/`,
      count: s.clients,
      protocol: s.protocol,
      subscribe: [],
    },
    timing,
  );
  return { scenario: s, offeredPerSecond: offeredPerSecond(s), gateway, baseline };
}
