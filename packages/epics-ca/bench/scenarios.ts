/**
 * The ingest scenarios and what the bench's processes agree on: PV names, the DBR type monitored,
 * and the four ways a window is measured (which server, which reader).
 */
import { dbrType } from "../src/index.js";

export interface Scenario {
  readonly name: string;
  readonly pvs: number;
  /** Posts per second of each PV. */
  readonly hz: number;
  readonly description: string;
}

/**
 * The servers a window runs against:
 * - `ca-server`: this package's `CaServer`, its PVs posted by the pacer.
 * - `replay`: a bare server in the bench that speaks just enough CA to open channels and monitors,
 *   then writes the same monitor update bytes, encoded once ahead of time, at the same pace. Its
 *   cost per update is next to nothing, so the reader sets the rate.
 */
export const SERVERS = ["ca-server", "replay"] as const;
export type Server = (typeof SERVERS)[number];

/**
 * The readers (one connection each, one monitor per PV):
 * - `ca-client`: `CaClient` monitors, each listener counting what it is given (the figure measured).
 * - `raw-socket`: a bare `net.Socket` that opens the same channels and monitors with bytes encoded
 *   ahead of time, then walks the CA headers of what arrives and counts (the baseline).
 */
export const READERS = ["ca-client", "raw-socket"] as const;
export type Reader = (typeof READERS)[number];

/** The windows of a scenario, in the order run. */
export const PAIRINGS: readonly { readonly server: Server; readonly reader: Reader }[] = [
  { server: "ca-server", reader: "ca-client" },
  { server: "ca-server", reader: "raw-socket" },
  { server: "replay", reader: "ca-client" },
  { server: "replay", reader: "raw-socket" },
];

/** Every PV is a scalar DOUBLE, monitored as DBR_TIME_DOUBLE. */
export const MONITOR_TYPE = dbrType("TIME", "DOUBLE");

export function pvName(i: number): string {
  return `BENCH:INGEST:${String(i).padStart(5, "0")}`;
}

export function pvNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => pvName(i));
}

export function offeredPerSecond(s: Scenario): number {
  return s.pvs * s.hz;
}

export function scenarios(pvs: number, hz: number, maxHz: number): Scenario[] {
  return [
    {
      name: "nominal",
      pvs,
      hz,
      description: `${pvs} PVs at ${hz} Hz: the load the target names`,
    },
    {
      name: "saturation",
      pvs,
      hz: maxHz,
      description: `${pvs} PVs at ${maxHz} Hz: more than the CA path can take, to find its ceiling`,
    },
  ];
}
