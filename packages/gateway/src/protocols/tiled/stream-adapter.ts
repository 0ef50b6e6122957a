/**
 * `WS /api/v1/stream/single/{path}` (specs/tiled-streaming.md): `envelope_format=json|msgpack`,
 * `start=N`, and the credentials Tiled's clients bring (`Authorization: Apikey`, `?access_token=`,
 * or a first `{"type":"auth", ...}` message, all handled by the transport), and the subscription's
 * options (`max_payload_bytes`, `stride`, `columns`: subscription-forms.ts). An unknown node is a
 * plain 404 before the upgrade, bad parameters (an option for another node family, an unknown
 * column) a 400.
 */
import type { IncomingMessage } from "node:http";
import type { DatasetStore } from "../../datasets/datasets.js";
import type { ProtocolAdapter, Refusal } from "../../transport/protocol.js";
import { type Envelope, TiledStreamSession } from "./stream-session.js";
import {
  parseStreamOptions,
  type RequestedStreamOptions,
  STREAM_OPTION_KEYS,
  type StreamOptions,
  streamOptionsFor,
} from "./subscription-forms.js";

const PREFIX = "/api/v1/stream/single";

export interface TiledStreamOptions {
  /** Default `max_payload_bytes`: larger array writes stream as `array-ref` (`datasets.maxInlinePayloadBytes`). */
  readonly maxInlinePayloadBytes?: number;
}

const DEFAULT_MAX_INLINE = 1024 * 1024;

export function tiledStreamProtocol(store: DatasetStore, streamOptions: TiledStreamOptions = {}): ProtocolAdapter {
  const defaultMax = streamOptions.maxInlinePayloadBytes ?? DEFAULT_MAX_INLINE;
  /** The subscription's options for its node, or what is wrong with them (the node exists). */
  const optionsOf = (parsed: Parsed): StreamOptions | string => {
    const node = store.catalog.find(parsed.path);
    if (!node) return `No such entry: ${parsed.path || "/"}`;
    return streamOptionsFor(parsed.requested, store, node, defaultMax);
  };
  return {
    path: `${PREFIX}/**`,
    queryToken: true,
    description: "Tiled stream of one dataset node: schema, then array, table and container updates (json or msgpack)",
    check(url): Refusal | undefined {
      const parsed = parse(url);
      if (typeof parsed === "string") return { status: 400, message: parsed };
      if (!store.catalog.find(parsed.path)) return { status: 404, message: `No such entry: ${parsed.path || "/"}` };
      const options = optionsOf(parsed);
      if (typeof options === "string") return { status: 400, message: options };
      return undefined;
    },
    accept(connection, url, request, access) {
      const parsed = parse(url) as Parsed;
      const node = store.node(parsed.path);
      // Checked before the upgrade; the node may have changed since (deleted: the session says so).
      const options = optionsOf(parsed);
      const session = new TiledStreamSession(connection, store, node, access, {
        envelope: parsed.envelope,
        start: parsed.start,
        stream: typeof options === "string" ? { maxPayloadBytes: defaultMax, stride: 1, columns: undefined } : options,
        apiBase: apiBaseOf(request),
      });
      return session;
    },
  };
}

interface Parsed {
  readonly path: string;
  readonly envelope: Envelope;
  readonly start: number | undefined;
  readonly requested: RequestedStreamOptions;
}

/** `http(s)://host/api/v1`, as the client reached us (for an `array-ref`'s `uri`). */
export function apiBaseOf(req: IncomingMessage): string {
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${tls ? "https" : "http"}://${req.headers.host ?? "localhost"}/api/v1`;
}

/** The node path and query of a stream URL, or what is wrong with them. */
function parse(url: URL): Parsed | string {
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
  const raw: Record<string, string> = {};
  for (const key of STREAM_OPTION_KEYS) {
    const values = url.searchParams.getAll(key);
    if (values.length > 1) return `${key} may be given once`;
    if (values.length === 1) raw[key] = values[0] as string;
  }
  const requested = parseStreamOptions(raw);
  if (typeof requested === "string") return requested;
  return { path, envelope, start, requested };
}
