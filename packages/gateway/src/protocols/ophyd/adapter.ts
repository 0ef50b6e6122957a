/** The ophyd-websocket compatible sockets under `/api/v1` (seed 001; docs/ophyd-websocket.md). */
import type { Hub } from "../../core/hub.js";
import type { DeviceRegistry } from "../../devices/registry.js";
import type { ProtocolAdapter } from "../../transport/protocol.js";
import { deviceTargets } from "./device-targets.js";
import { PV_TARGETS } from "./pv-targets.js";
import { OphydSession, type OphydSocketOptions } from "./session.js";

export function pvSocketProtocol(hub: Hub, options: OphydSocketOptions): ProtocolAdapter {
  return {
    path: "/api/v1/pv-socket",
    description: "ophyd-websocket pv-socket: subscribe, subscribeSafely, subscribeReadOnly, unsubscribe, set, refresh",
    accept: (connection, _url, _request, access) => new OphydSession(connection, hub.as(access), PV_TARGETS, options),
  };
}

/** device-socket: devices of the registry; a registry reload moves live subscriptions to the new definitions. */
export function deviceSocketProtocol(hub: Hub, registry: DeviceRegistry, options: OphydSocketOptions): ProtocolAdapter {
  const targets = deviceTargets(registry);
  const sessions = new Set<OphydSession>();
  registry.onChange(({ changed, removed }) => {
    for (const session of sessions) session.retarget([...changed, ...removed]);
  });
  return {
    path: "/api/v1/device-socket",
    description: "ophyd-websocket device-socket: the devices of the device files, per signal, with set",
    accept(connection, _url, _request, access) {
      const session = new OphydSession(connection, hub.as(access), targets, options);
      sessions.add(session);
      return {
        onMessage: (data, isBinary) => session.onMessage(data, isBinary),
        refuse: (error) => session.refuse(error),
        onClose: () => {
          sessions.delete(session);
          session.onClose();
        },
      };
    },
  };
}
