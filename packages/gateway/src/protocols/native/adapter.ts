/** The native multiplexed protocol at `/api/v1/stream/multi` (docs/protocol.md). */
import type { Hub } from "../../core/hub.js";
import type { ProtocolAdapter } from "../../transport/protocol.js";
import { apiBaseOf } from "../tiled/stream-adapter.js";
import { ENVELOPES } from "./envelope.js";
import { PROTOCOL_VERSION } from "./messages.js";
import { type NativeOptions, NativeSession } from "./session.js";

export interface NativeProtocolOptions extends NativeOptions {
  readonly serverVersion: string;
  readonly maxMessageBytes: number;
}

export function nativeProtocol(hub: Hub, options: NativeProtocolOptions): ProtocolAdapter {
  return {
    path: "/api/v1/stream/multi",
    description: "beamgate's native multiplexed protocol: any topic, JSON or msgpack, resume by sequence, puts",
    check(url) {
      const format = url.searchParams.get("envelope_format") ?? "json";
      if (!Object.hasOwn(ENVELOPES, format)) {
        return { status: 400, message: `envelope_format must be json or msgpack, not "${format.slice(0, 32)}"` };
      }
      return undefined;
    },
    queryToken: true,
    accept(connection, url, request, access) {
      const envelope = ENVELOPES[url.searchParams.get("envelope_format") ?? "json"] as (typeof ENVELOPES)[string];
      connection.send(
        envelope.message({
          type: "connection_ack",
          version: PROTOCOL_VERSION,
          server: "beamgate",
          server_version: options.serverVersion,
          envelope_format: envelope.name,
          capabilities: {
            schemes: options.datasets ? [...hub.schemes, "dataset"] : hub.schemes,
            envelopes: Object.keys(ENVELOPES),
            messages: ["subscribe", "unsubscribe", "put", "ping"],
            max_subscriptions: options.maxSubscriptions,
            max_pending_puts: options.maxPendingPuts,
            max_message_bytes: options.maxMessageBytes,
          },
        }),
      );
      return new NativeSession(connection, hub.as(access), envelope, { ...options, apiBase: apiBaseOf(request) });
    },
  };
}
