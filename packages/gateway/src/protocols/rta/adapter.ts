/**
 * The RTA stream endpoint `/rta/v2/sessions/{identity}/stream` (specs/rta-stream.md): subprotocol
 * `mat.ocs.rta.stream-lz4` required (406 without it), 400 for a plain request, and one interval
 * that sends every connection its session's time range when it moved (up to 10 Hz by default).
 */
import { STREAM_SUBPROTOCOL } from "@beamgate/rta";
import type { TelemetryStore } from "../../telemetry/telemetry.js";
import type { ProtocolAdapter } from "../../transport/protocol.js";
import { RtaStreamSession, type StreamOptions } from "./stream-session.js";

export interface RtaStreamProtocolOptions extends StreamOptions {
  readonly timeRangeIntervalMs: number;
}

export function rtaStreamProtocol(
  store: TelemetryStore,
  options: RtaStreamProtocolOptions,
): ProtocolAdapter & { stop(): void } {
  const sessions = new Set<RtaStreamSession>();
  const ticker = setInterval(() => {
    for (const s of sessions) s.tick();
  }, options.timeRangeIntervalMs);
  ticker.unref();
  return {
    path: "/rta/v2/sessions/*/stream",
    subprotocol: STREAM_SUBPROTOCOL,
    notUpgradeStatus: 400,
    description: "RTA telemetry stream (ATLAS): LZ4 protobuf bursts of a session's data and events",
    accept(connection, url, _request, access) {
      const identity = decodedSegment(url.pathname.split("/")[4] ?? "");
      const session = new RtaStreamSession(connection, identity, store, access, options);
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
    stop() {
      clearInterval(ticker);
    },
  };
}

/** A path segment decoded, or "" (no such session) when its %-escapes are malformed. */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return "";
  }
}
