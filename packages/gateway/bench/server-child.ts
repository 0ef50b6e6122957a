/**
 * The gateway under test, in a process of its own: `listen` starts it with the given configuration
 * flags on 127.0.0.1, a free port, logging and the simulated IOC off, and answers with the port.
 * Configuration and Channel Access see only the environment given (the IOC to search, if any), so
 * a stray BEAMGATE_* or EPICS_* variable cannot change what is measured. Every simulated client
 * comes from 127.0.0.1, so the per-address connection limit is lifted.
 */

import { answerRequests } from "@beamgate/bench-kit";
import { loadConfig } from "../src/config/load.js";
import { startGateway } from "../src/gateway.js";

answerRequests({
  async listen({ flags = {}, env = {} }: { flags?: Record<string, string | number>; env?: Record<string, string> }) {
    const fixed = {
      host: "127.0.0.1",
      port: 0,
      logLevel: "silent",
      "ca.simIoc": "off",
      "limits.maxConnectionsPerIp": 1_000_000,
    };
    const config = loadConfig({ env: {}, flags: { ...flags, ...fixed } });
    const gateway = await startGateway(config, undefined, env);
    return { port: gateway.address.port };
  },
});
