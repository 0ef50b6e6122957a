/**
 * The fan-out scenarios: K clients × M PVs at R Hz, over `/ws` (PV API) or the native protocol
 * (`/api/v1/stream/multi`, JSON envelope). The PVs are simulated in the gateway (`sim://`) or
 * served over Channel Access by an IOC in another process (`ca://`). For each: the gateway
 * configuration, what the clients send to subscribe, the deliveries per second it offers, and the
 * traffic the baseline replays (the same messages at the same rate to the same number of clients).
 */
import type { BroadcastPlan } from "./baseline-server.js";
import type { Protocol } from "./clients.js";

/** Where the PVs come from: the gateway's simulator, or an IOC over Channel Access. */
export type Source = "sim" | "ca";

export interface LoadScenario {
  readonly name: string;
  readonly source: Source;
  readonly protocol: Protocol;
  /** `/ws` only: `pvApi.batchWindowMs` (0: every update at once; the default is 100). */
  readonly batchWindowMs: number;
  readonly clients: number;
  readonly pvs: number;
  readonly hz: number;
}

export const PATHS: Readonly<Record<Protocol, string>> = {
  pvapi: "/ws",
  native: "/api/v1/stream/multi",
  ophyd: "/api/v1/pv-socket",
};

const scenario = (
  name: string,
  protocol: Protocol,
  clients: number,
  pvs: number,
  hz: number,
  batchWindowMs = 0,
): LoadScenario => ({ name, source: /(^|-)ca-/.test(name) ? "ca" : "sim", protocol, batchWindowMs, clients, pvs, hz });

/** Every scenario, in the order a full run measures them. */
export const SCENARIOS: readonly LoadScenario[] = [
  scenario("ws-100", "pvapi", 100, 10, 100),
  scenario("native-100", "native", 100, 10, 100),
  scenario("ws-1000", "pvapi", 1000, 10, 10),
  scenario("native-1000", "native", 1000, 10, 10),
  scenario("ws-1000-batched", "pvapi", 1000, 100, 5, 100),
  scenario("ws-1000-max", "pvapi", 1000, 10, 100),
  scenario("native-1000-max", "native", 1000, 10, 100),
  scenario("ca-ws-100", "pvapi", 100, 10, 100),
  scenario("ca-native-100", "native", 100, 10, 100),
  scenario("ca-ws-1000", "pvapi", 1000, 10, 10),
  scenario("ca-native-1000", "native", 1000, 10, 10),
  scenario("ca-native-wide", "native", 40, 1000, 5),
  scenario("ophyd-ca-100", "ophyd", 100, 10, 100),
  scenario("ophyd-ca-1000", "ophyd", 1000, 10, 10),
];

/** The scenarios of `--quick`. */
export const QUICK_SCENARIOS: readonly string[] = ["ws-100", "ws-1000", "ca-ws-100"];

/** The IOC's PV names: `BENCH:pv1`, `BENCH:pv2`, ... */
export function iocPvNames(s: LoadScenario): string[] {
  return Array.from({ length: s.pvs }, (_, i) => `BENCH:pv${i + 1}`);
}

/**
 * The topics: `ca://BENCH:pv1`, ... on the IOC, or `sim://noise(0,1,0.1)`, `sim://noise(0,2,0.1)`,
 * ...: distinct topics, all on one timer, each with a new random double every tick. (Not `sine`:
 * its ten-step cycle repeats a value, and `/ws` sends only changes, so it would deliver fewer
 * values than the baseline replays.)
 */
export function pvNames(s: LoadScenario): string[] {
  if (s.source === "ca") return iocPvNames(s).map((name) => `ca://${name}`);
  return Array.from({ length: s.pvs }, (_, i) => `sim://noise(0,${i + 1},${1 / s.hz})`);
}

/** Gateway configuration flags, by dotted path. */
export function gatewayFlags(s: LoadScenario): Record<string, number> {
  return { "pvApi.batchWindowMs": s.batchWindowMs };
}

/** The gateway's environment: the IOC to search, if the scenario has one. */
export function gatewayEnv(iocUdpPort: number | undefined): Record<string, string> {
  if (iocUdpPort === undefined) return {};
  return { EPICS_CA_ADDR_LIST: `127.0.0.1:${iocUdpPort}`, EPICS_CA_AUTO_ADDR_LIST: "NO" };
}

/** The messages one client sends to subscribe to every PV of the scenario. */
export function subscribeMessages(s: LoadScenario): string[] {
  const names = pvNames(s);
  if (s.protocol === "pvapi") return [JSON.stringify({ action: "subscribe", pv_names: names })];
  if (s.protocol === "ophyd") return [JSON.stringify({ action: "subscribe", pvs: names })];
  return names.map((topic, i) => JSON.stringify({ type: "subscribe", id: i + 1, topic }));
}

/** How often a client is sent its PVs' values: each update, or once per batch window. */
function sendIntervalMs(s: LoadScenario): number {
  return Math.max(s.batchWindowMs, 1000 / s.hz);
}

/** Deliveries per second if every client received every value sent to it. */
export function offeredPerSecond(s: LoadScenario): number {
  return (s.clients * s.pvs * 1000) / sendIntervalMs(s);
}

/**
 * The baseline's traffic, from a data message a gateway client received: `/ws` sends one message
 * (`update` or `batch_update`) per client per send interval, the native protocol and ophyd one per PV.
 */
export function baselinePlan(s: LoadScenario, template: string): BroadcastPlan {
  return { template, tickMs: sendIntervalMs(s), messagesPerTick: s.protocol === "pvapi" ? 1 : s.pvs };
}
