/**
 * The camera bench's IOC, in a process of its own so that drawing frames does not count as the
 * gateway's CPU: the simulated beamline (`startSimIoc`, camera `13SIM1:`) on 127.0.0.1, free ports.
 * `listen` answers with the UDP port to search on.
 */
import { answerRequests } from "@beamgate/bench-kit";
import { startSimIoc } from "../src/sim-ioc/sim-ioc.js";

answerRequests({
  async listen() {
    const ioc = await startSimIoc({ host: "127.0.0.1", port: 0 });
    return { udpPort: ioc.ports.udpPort };
  },
});
