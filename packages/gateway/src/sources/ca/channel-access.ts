/**
 * Channel Access in the gateway: the `ca://` source on a client configured from the EPICS
 * environment, and the simulated beamline IOC in-process when no EPICS network is configured, so
 * that `npm start` streams CA PVs out of the box.
 */
import { CaClient, CaEnvironmentError, caClientOptionsFromEnv, type Environment } from "@beamgate/epics-ca";
import type { Config } from "../../config/schema.js";
import { BeamgateError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { type SimIoc, startSimIoc } from "../../sim-ioc/sim-ioc.js";
import { CaSource } from "./source.js";

export interface ChannelAccess {
  readonly source: CaSource;
  /** The in-process simulated IOC, when it runs. */
  readonly simIoc: SimIoc | undefined;
  /** Stops the simulated IOC (the hub closes the source). */
  close(): Promise<void>;
}

export async function startChannelAccess(config: Config["ca"], env: Environment, log: Logger): Promise<ChannelAccess> {
  let clientEnv: ReturnType<typeof caClientOptionsFromEnv>;
  try {
    clientEnv = caClientOptionsFromEnv(env);
  } catch (e) {
    if (e instanceof CaEnvironmentError) throw new BeamgateError("BG_ERR_CONFIG_INVALID", e.message);
    throw e;
  }
  const runSim = config.simIoc === "on" || (config.simIoc === "auto" && !env.EPICS_CA_ADDR_LIST?.trim());
  const simIoc = runSim ? await startSim(config) : undefined;
  if (simIoc) {
    log.info(
      { host: simIoc.host, port: simIoc.ports.tcpPort, pvs: simIoc.pvNames.length },
      `simulated IOC serving ${config.simIocPrefix}* and ${config.simIocCameraPrefix}* over Channel Access`,
    );
  }
  // With the simulator standing in for an EPICS network, searches go to it alone (no broadcasts).
  const addressList = simIoc
    ? [...(config.simIoc === "on" ? clientEnv.addressList : []), `127.0.0.1:${simIoc.ports.udpPort}`]
    : clientEnv.addressList;
  const source = new CaSource({
    client: () => new CaClient({ ...clientEnv, addressList }),
    searchTimeoutMs: config.searchTimeoutMs,
    maxUnresolved: config.maxUnresolved,
  });
  return { source, simIoc, close: async () => simIoc?.close() };
}

/** On the configured port if it is free, else on any free port. */
async function startSim(config: Config["ca"]): Promise<SimIoc> {
  const options = { prefix: config.simIocPrefix, cameraPrefix: config.simIocCameraPrefix, host: "127.0.0.1" };
  try {
    return await startSimIoc({ ...options, port: config.simIocPort });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || config.simIocPort === 0) throw e;
    return startSimIoc({ ...options, port: 0 });
  }
}
