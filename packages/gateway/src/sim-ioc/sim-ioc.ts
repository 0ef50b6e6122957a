/**
 * The sim IOC: the simulated beamline (`beamline.ts`) served by a Channel Access server, started
 * by `beamgate sim-ioc` or in-process. One ticker drives every PV; close() stops it and the server,
 * leaving no timer and no socket.
 */
import { CaServer, caServerOptionsFromEnv } from "@beamgate/epics-ca";
import { beamlinePvs } from "./beamline.js";
import { Ticker } from "./ticker.js";

export const DEFAULT_PREFIX = "SIM:";
export const DEFAULT_CAMERA_PREFIX = "13SIM1:";

export interface SimIocOptions {
  /** Prefix of every PV but the camera's (default `SIM:`). */
  readonly prefix?: string;
  /** Prefix of the camera's PVs (default `13SIM1:`). */
  readonly cameraPrefix?: string;
  /** IPv4 address to bind (default: the first of EPICS_CAS_INTF_ADDR_LIST, else 127.0.0.1). */
  readonly host?: string;
  /**
   * TCP port, and UDP port for name searches (default: EPICS_CAS_SERVER_PORT, else
   * EPICS_CA_SERVER_PORT, else 5064). 0 picks a free port.
   */
  readonly port?: number;
}

export interface SimIoc {
  readonly host: string;
  readonly ports: { readonly tcpPort: number; readonly udpPort: number };
  /** Every PV served, by full name. */
  readonly pvNames: readonly string[];
  /** Stops the simulation and the server. */
  close(): Promise<void>;
}

/** Starts the sim IOC. Throws CaEnvironmentError for a malformed EPICS variable, or the socket's error. */
export async function startSimIoc(options: SimIocOptions = {}): Promise<SimIoc> {
  const defaults = caServerOptionsFromEnv();
  const host = options.host ?? defaults.host;
  const ticker = new Ticker();
  const pvs = beamlinePvs(ticker, options.prefix ?? DEFAULT_PREFIX, options.cameraPrefix ?? DEFAULT_CAMERA_PREFIX);
  const server = new CaServer({ pvs, host, port: options.port ?? defaults.port });
  const close = async () => {
    ticker.stop();
    await server.close();
  };
  try {
    const ports = await server.listen();
    return { host, ports, pvNames: [...pvs.keys()], close };
  } catch (e) {
    await close();
    throw e;
  }
}
