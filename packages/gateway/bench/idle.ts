/**
 * Memory per idle connection: with a few warm-up connections open (code compiled, pools
 * allocated), the server is garbage-collected and its memory read; then N more idle connections
 * (no subscriptions) are opened, the server collected and read again. The growth divided by N is
 * the cost of one connection. Measured on the gateway's two paths and on the raw `ws` baseline.
 */

import { type Child, forkChild } from "@beamgate/bench-kit";
import { ClientPool } from "./client-pool.js";
import type { Protocol } from "./clients.js";
import { PATHS } from "./scenarios.js";

export interface IdleResult {
  /** `/ws`, `/api/v1/stream/multi`, or `baseline`. */
  readonly server: string;
  readonly connections: number;
  readonly rssBytesPerConnection: number;
  readonly heapBytesPerConnection: number;
}

const WARMUP_CONNECTIONS = 200;
const SETTLE_MS = 500;

async function growth(
  server: Child,
  label: string,
  url: string,
  protocol: Protocol,
  connections: number,
): Promise<IdleResult> {
  const open = (count: number) => ClientPool.open({ url, count, protocol, subscribe: [] }, 1);
  const settled = async () => {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    return server.request<NodeJS.MemoryUsage>("memory");
  };
  const pools: ClientPool[] = [];
  try {
    pools.push(await open(WARMUP_CONNECTIONS));
    const before = await settled();
    pools.push(await open(connections));
    const after = await settled();
    return {
      server: label,
      connections,
      rssBytesPerConnection: (after.rss - before.rss) / connections,
      heapBytesPerConnection: (after.heapUsed - before.heapUsed) / connections,
    };
  } finally {
    for (const pool of pools) await pool.close();
    await server.stop();
  }
}

export async function runIdle(connections: number): Promise<IdleResult[]> {
  const results: IdleResult[] = [];
  for (const protocol of ["pvapi", "native"] as const) {
    const gateway = await forkChild(new URL("./server-child.js", import.meta.url), ["--expose-gc"]);
    const { port } = await gateway.request<{ port: number }>("listen", {});
    const path = PATHS[protocol];
    results.push(await growth(gateway, path, `ws://127.0.0.1:${port}${path}`, protocol, connections));
  }
  const baseline = await forkChild(new URL("./baseline-server.js", import.meta.url), ["--expose-gc"]);
  const { port } = await baseline.request<{ port: number }>("listen");
  results.push(await growth(baseline, "baseline", `ws://127.0.0.1:${port}/`, "pvapi", connections));
  return results;
}
