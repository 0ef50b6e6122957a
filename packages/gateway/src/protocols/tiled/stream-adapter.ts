/**
 * `WS /api/v1/stream/single/{path}` (specs/tiled-streaming.md): `envelope_format=json|msgpack`,
 * `start=N`, and the credentials Tiled's clients bring (`Authorization: Apikey`, `?access_token=`,
 * or a first `{"type":"auth", ...}` message, all handled by the transport). An unknown node is a
 * plain 404 before the upgrade, bad parameters a 400.
 */
import type { DatasetStore } from "../../datasets/datasets.js";
import type { ProtocolAdapter, Refusal } from "../../transport/protocol.js";
import { type Envelope, TiledStreamSession } from "./stream-session.js";

const PREFIX = "/api/v1/stream/single";

export function tiledStreamProtocol(store: DatasetStore): ProtocolAdapter {
  return {
    path: `${PREFIX}/**`,
    queryToken: true,
    description: "Tiled stream of one dataset node: schema, then array, table and container updates (json or msgpack)",
    check(url): Refusal | undefined {
      const parsed = parse(url);
      if (typeof parsed === "string") return { status: 400, message: parsed };
      if (!store.catalog.find(parsed.path)) return { status: 404, message: `No such entry: ${parsed.path || "/"}` };
      return undefined;
    },
    accept(connection, url, _request, access) {
      const parsed = parse(url) as Exclude<ReturnType<typeof parse>, string>;
      const session = new TiledStreamSession(connection, store, store.node(parsed.path), access, parsed);
      return session;
    },
  };
}

/** The node path and query of a stream URL, or what is wrong with them. */
function parse(url: URL): { path: string; envelope: Envelope; start: number | undefined } | string {
  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice(PREFIX.length)).replace(/^\/+|\/+$/g, "");
  } catch {
    return "Malformed path";
  }
  const envelope = url.searchParams.get("envelope_format") ?? "json";
  if (envelope !== "json" && envelope !== "msgpack") return `envelope_format must be json or msgpack, not ${envelope}`;
  const startText = url.searchParams.get("start");
  // Digits only: Number() would take "", " ", "0x10" and "1e3".
  const start = startText === null ? undefined : /^\d+$/.test(startText) ? Number(startText) : Number.NaN;
  if (start !== undefined && !(Number.isSafeInteger(start) && start >= 0)) {
    return `start must be a non-negative integer, not ${startText}`;
  }
  return { path, envelope, start };
}
