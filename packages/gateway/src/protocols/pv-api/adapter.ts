/** The PV streaming API at `/ws` (seed 003; docs/pv-api.md), with its periodic JSON heartbeat. */
import type { Hub } from "../../core/hub.js";
import { isoMicros, nowMs } from "../../core/time.js";
import type { Connection } from "../../transport/connection.js";
import { textMessage } from "../../transport/outgoing.js";
import type { ProtocolAdapter } from "../../transport/protocol.js";
import { type PvApiOptions, PvApiSession } from "./session.js";

export interface PvApiProtocolOptions extends PvApiOptions {
  readonly heartbeatIntervalMs: number;
}

export function pvApiProtocol(hub: Hub, options: PvApiProtocolOptions): ProtocolAdapter & { stop(): void } {
  const connections = new Set<Connection>();
  const heartbeat = setInterval(() => {
    if (connections.size === 0) return;
    const heartbeat = textMessage(JSON.stringify({ type: "heartbeat", timestamp: isoMicros(nowMs()) }));
    for (const c of connections) c.send(heartbeat);
  }, options.heartbeatIntervalMs);
  heartbeat.unref();
  return {
    path: "/ws",
    description: "PV streaming API: subscribe/unsubscribe by pv_names, batched updates, heartbeats",
    accept(connection, _url, _request, access) {
      const session = new PvApiSession(connection, hub.as(access), options);
      connections.add(connection);
      return {
        onMessage: (data, isBinary) => session.onMessage(data, isBinary),
        refuse: (error) => session.refuse(error),
        onClose: () => {
          connections.delete(connection);
          session.onClose();
        },
      };
    },
    stop() {
      clearInterval(heartbeat);
    },
  };
}
