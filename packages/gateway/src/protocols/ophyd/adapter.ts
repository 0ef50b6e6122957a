/** The ophyd-websocket compatible sockets under `/api/v1` (seed 001; docs/ophyd-websocket.md). */
import type { Hub } from "../../core/hub.js";
import type { ProtocolAdapter } from "../../transport/protocol.js";
import { PvSession, type PvSocketOptions } from "./pv-session.js";

export function pvSocketProtocol(hub: Hub, options: PvSocketOptions): ProtocolAdapter {
  return {
    path: "/api/v1/pv-socket",
    description: "ophyd-websocket pv-socket: subscribe, subscribeSafely, subscribeReadOnly, unsubscribe, set, refresh",
    accept: (connection) => new PvSession(connection, hub, options),
  };
}
