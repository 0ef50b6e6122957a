/**
 * The bench's side of the client processes (`clients.ts`). A pool is N load processes, whose
 * clients only count, and a probe process, whose few clients also record latency. The probes are
 * opened at even intervals among the load clients: the gateway sends to a topic's subscribers in
 * the order they subscribed, so they sample every position of the fan-out, and being few, their
 * process takes their messages at once, where the load processes work through a thousand sockets
 * first. One window is measured on all processes at once, while the server's and the clients'
 * CPU and memory are read from /proc at both ends.
 */
import os from "node:os";
import { type Child, forkChild } from "@beamgate/bench-kit";
import type { OpenRequest, Protocol, SubscribeRequest, WindowResult } from "./clients.js";
import { cpuCores, sampleMachine, sampleProcess } from "./proc.js";
import { LatencyHistogram } from "./stats.js";

export interface Window {
  readonly deliveriesPerSecond: number;
  readonly messagesPerSecond: number;
  readonly bytesPerSecond: number;
  /** Latency as the probes saw it. */
  readonly latency: LatencyHistogram;
  /** Client connections that closed during the window. */
  readonly closed: number;
  /** A data message one client received, for the baseline to replay. */
  readonly template: string | undefined;
  /** Server CPU, in cores (user + system seconds per second). */
  readonly serverCpu: number;
  /** Server resident memory at the end of the window. */
  readonly serverRssBytes: number;
  /** CPU of all client processes together, in cores. */
  readonly clientCpu: number;
  /** CPU of the busiest client process, in cores. */
  readonly busiestClientCpu: number;
  /** Interrupt time of the machine, in cores: mostly loopback TCP work, charged to no process. */
  readonly interruptCpu: number;
  /** CPU of processes other than the server and the clients, in cores: near 0 when nothing else ran. */
  readonly otherCpu: number;
}

export interface PoolRequest {
  readonly url: string;
  readonly count: number;
  readonly protocol: Protocol;
  /** The messages each client sends to subscribe; none for a server that needs no subscription. */
  readonly subscribe: readonly string[];
}

const TIMEOUT_MS = 120_000;
/** Load processes yield the CPU to the server and the probes when they compete for it. */
const LOADER_NICE = 10;

export class ClientPool {
  readonly #children: readonly Child[];

  private constructor(children: readonly Child[]) {
    this.#children = children;
  }

  /**
   * Forks `processes` load processes, and a probe process if `probes` > 0, and opens
   * `request.count` clients in all, `probes` of them probes; then, if there are subscription
   * messages, has every client send them, in the same order.
   */
  static async open(request: PoolRequest, processes: number, probes = 0): Promise<ClientPool> {
    const module = new URL("./clients.js", import.meta.url);
    const loaders = await Promise.all(Array.from({ length: processes }, () => forkChild(module)));
    for (const loader of loaders) os.setPriority(loader.pid, LOADER_NICE);
    const prober = probes > 0 ? await forkChild(module) : undefined;
    const pool = new ClientPool(prober ? [...loaders, prober] : loaders);
    // Chunk i: a share of the load clients on each load process, then probe i.
    const chunks = Math.max(1, probes);
    const load = request.count - probes;
    const inOrder = async (step: (child: Child, count: number, probe: boolean) => Promise<unknown>) => {
      for (let i = 0; i < chunks; i++) {
        const n = Math.floor(((i + 1) * load) / chunks) - Math.floor((i * load) / chunks);
        await Promise.all(
          loaders.map((c, j) => step(c, Math.floor(n / processes) + (j < n % processes ? 1 : 0), false)),
        );
        if (prober) await step(prober, 1, true);
      }
    };
    const { url, protocol, subscribe } = request;
    try {
      await inOrder((child, count, probe) =>
        child.request("open", { url, count, protocol, recordLatency: probe } satisfies OpenRequest, TIMEOUT_MS),
      );
      if (subscribe.length > 0) {
        await inOrder((child, count) =>
          child.request("subscribe", { count, messages: subscribe } satisfies SubscribeRequest, TIMEOUT_MS),
        );
      }
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Counts for `seconds` on every client process, watching the server process `serverPid`. */
  async measure(serverPid: number, seconds: number): Promise<Window> {
    const pids = this.#children.map((c) => c.pid);
    await Promise.all(this.#children.map((c) => c.request("start")));
    const machine0 = sampleMachine();
    const server0 = sampleProcess(serverPid);
    const clients0 = pids.map(sampleProcess);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const machine1 = sampleMachine();
    const server1 = sampleProcess(serverPid);
    const clients1 = pids.map(sampleProcess);
    const results = await Promise.all(this.#children.map((c) => c.request<WindowResult>("stop")));

    const latency = new LatencyHistogram();
    let deliveriesPerSecond = 0;
    let messagesPerSecond = 0;
    let bytesPerSecond = 0;
    for (const r of results) {
      latency.add(r.latency);
      deliveriesPerSecond += r.deliveries / r.seconds;
      messagesPerSecond += r.messages / r.seconds;
      bytesPerSecond += r.bytes / r.seconds;
    }
    const serverCpu = cpuCores(server0, server1);
    const clientCpus = clients0.map((c0, i) => cpuCores(c0, clients1[i] as typeof c0));
    const clientCpu = clientCpus.reduce((a, b) => a + b, 0);
    return {
      deliveriesPerSecond,
      messagesPerSecond,
      bytesPerSecond,
      latency,
      closed: results.reduce((n, r) => n + r.closed, 0),
      template: results.find((r) => r.template !== undefined)?.template,
      serverCpu,
      serverRssBytes: server1.rssBytes,
      clientCpu,
      busiestClientCpu: Math.max(...clientCpus),
      interruptCpu: cpuCores(machine0.interrupts, machine1.interrupts),
      otherCpu: Math.max(0, cpuCores(machine0.processes, machine1.processes) - serverCpu - clientCpu),
    };
  }

  /** Kills the client processes: their connections drop at once. */
  async close(): Promise<void> {
    await Promise.all(this.#children.map((c) => c.stop()));
  }
}
