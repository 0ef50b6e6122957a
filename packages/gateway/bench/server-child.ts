/**
 * The gateway under test, in a process of its own: `listen` starts it with the given configuration
 * flags on 127.0.0.1, a free port and logging off, and answers with the port. The configuration
 * ignores the environment, so a stray BEAMGATE_* variable cannot change what is measured.
 */

import { answerRequests } from "@beamgate/bench-kit";
import { loadConfig } from "../src/config/load.js";
import { startGateway } from "../src/gateway.js";

answerRequests({
  async listen(flags: Record<string, string | number>) {
    const config = loadConfig({ env: {}, flags: { ...flags, host: "127.0.0.1", port: 0, logLevel: "silent" } });
    const gateway = await startGateway(config);
    return { port: gateway.address.port };
  },
});
