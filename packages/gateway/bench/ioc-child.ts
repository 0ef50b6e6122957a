/**
 * The IOC of the `ca-*` fan-out scenarios, in a process of its own: a `CaServer` on 127.0.0.1
 * serving M scalar DOUBLE PVs (`names`), all posted a new random value every tick of an R Hz timer,
 * stamped with the microsecond wall clock so that the probes' latency runs from the IOC's post.
 * `listen` answers with the UDP port to search on.
 */
import { answerRequests } from "@beamgate/bench-kit";
import { CaServer, ServerPv } from "@beamgate/epics-ca";
import { nowMicros } from "./stats.js";

export interface IocRequest {
  readonly names: readonly string[];
  readonly hz: number;
}

answerRequests({
  async listen({ names, hz }: IocRequest) {
    const pvs = names.map(() => new ServerPv({ base: "DOUBLE", value: Float64Array.of(0), units: "mm", precision: 3 }));
    const server = new CaServer({
      pvs: new Map(names.map((name, i) => [name, pvs[i] as ServerPv])),
      host: "127.0.0.1",
      port: 0,
      beaconAddressList: [],
    });
    const { udpPort } = await server.listen();
    setInterval(() => {
      const at = nowMicros() / 1000;
      for (const pv of pvs) pv.post(Float64Array.of(Math.random()), {}, at);
    }, 1000 / hz);
    return { udpPort };
  },
});
