/**
 * The native protocol's client messages (`/api/v1/stream/multi`, docs/protocol.md): their types,
 * and `parseClientMessage`, which checks every field and returns a typed message or throws a
 * BeamgateError. No cast of untrusted input gets past this file.
 */
import { BeamgateError } from "../../errors.js";
import { parseStreamOptions, type RequestedStreamOptions } from "../tiled/subscription-forms.js";

export const PROTOCOL_VERSION = 1;

export type MessageId = string | number;

export interface SubscribeMessage {
  readonly type: "subscribe";
  readonly id: MessageId;
  /** The topic; a `path` in the message (Tiled's form) is the topic `dataset://<path>`. */
  readonly topic: string;
  /** Log topics: the first sequence wanted (0 or 1: everything retained). */
  readonly start?: number;
  /** The epoch `start` refers to, from an earlier `meta`. */
  readonly epoch?: string;
  readonly options: SubscribeOptions;
}

export interface SubscribeOptions {
  /** State topics: whether queued values may be replaced by newer ones when the client lags (default true). */
  readonly conflate: boolean;
  /** Dataset topics: `max_payload_bytes`, `stride`, `columns` (checked against the node on subscribe). */
  readonly dataset?: RequestedStreamOptions;
}

export interface UnsubscribeMessage {
  readonly type: "unsubscribe";
  readonly id: MessageId;
}

export interface PutMessage {
  readonly type: "put";
  readonly id: MessageId;
  readonly topic: string;
  readonly value: unknown;
  /** Seconds. */
  readonly timeout?: number;
}

export interface PingMessage {
  readonly type: "ping";
  readonly id?: MessageId;
}

export type ClientMessage = SubscribeMessage | UnsubscribeMessage | PutMessage | PingMessage;

export const CLIENT_MESSAGE_TYPES = [
  "subscribe",
  "unsubscribe",
  "put",
  "ping",
] as const satisfies readonly ClientMessage["type"][];

const MAX_ID_LENGTH = 128;

/** Thrown for a message that cannot be accepted; carries the message's id when it had a valid one. */
export class MessageError extends BeamgateError {
  readonly id: MessageId | undefined;
  constructor(code: BeamgateError["code"], message: string, id?: MessageId) {
    super(code, message);
    this.id = id;
  }
}

type Fields = Record<string, unknown>;

export function parseClientMessage(raw: unknown): ClientMessage {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new MessageError("BG_ERR_PROTO_INVALID_MESSAGE", 'A message must be an object with a "type"');
  }
  const m = raw as Fields;
  const id = "id" in m && isId(m.id) ? m.id : undefined;
  const bad = (why: string) => new MessageError("BG_ERR_PROTO_INVALID_MESSAGE", why, id);
  if (typeof m.type !== "string") throw bad('"type" must be a string');

  switch (m.type) {
    case "subscribe": {
      const id = requireId(m, bad);
      allowOnly(m, ["type", "id", "topic", "path", "start", "epoch", "options"], bad);
      // Tiled's planned multiplexed stream names a dataset node by `path`: `dataset://<path>`.
      if ("path" in m && "topic" in m) throw bad('Give "topic" or "path", not both');
      const topic = "path" in m ? `dataset://${requirePath(m, bad)}` : requireString(m, "topic", bad);
      const start = m.start;
      if (start !== undefined && (typeof start !== "number" || !Number.isSafeInteger(start) || start < 0)) {
        throw bad('"start" must be a non-negative integer');
      }
      if (m.epoch !== undefined && typeof m.epoch !== "string") throw bad('"epoch" must be a string');
      return {
        type: "subscribe",
        id,
        topic,
        ...(start !== undefined ? { start } : {}),
        ...(m.epoch !== undefined ? { epoch: m.epoch as string } : {}),
        options: parseOptions(m.options, bad),
      };
    }
    case "unsubscribe": {
      const id = requireId(m, bad);
      allowOnly(m, ["type", "id"], bad);
      return { type: "unsubscribe", id };
    }
    case "put": {
      const id = requireId(m, bad);
      const topic = requireString(m, "topic", bad);
      allowOnly(m, ["type", "id", "topic", "value", "timeout"], bad);
      if (!("value" in m) || m.value === undefined) throw bad('"value" is required');
      const timeout = m.timeout;
      if (timeout !== undefined && (typeof timeout !== "number" || !(timeout > 0) || !Number.isFinite(timeout))) {
        throw bad('"timeout" must be a positive number of seconds');
      }
      return { type: "put", id, topic, value: m.value, ...(timeout !== undefined ? { timeout } : {}) };
    }
    case "ping":
      if ("id" in m && !isId(m.id))
        throw bad(`"id" must be a string of 1 to ${MAX_ID_LENGTH} characters or an integer`);
      allowOnly(m, ["type", "id"], bad);
      return id === undefined ? { type: "ping" } : { type: "ping", id };
    default:
      throw new MessageError(
        "BG_ERR_PROTO_UNKNOWN_TYPE",
        `Unknown message type "${String(m.type).slice(0, 64)}"; types are ${CLIENT_MESSAGE_TYPES.join(", ")}`,
        id,
      );
  }
}

function isId(v: unknown): v is MessageId {
  return (typeof v === "string" && v.length > 0 && v.length <= MAX_ID_LENGTH) || Number.isSafeInteger(v);
}

function requireId(m: Fields, bad: (why: string) => Error): MessageId {
  if (!isId(m.id)) throw bad(`"id" must be a string of 1 to ${MAX_ID_LENGTH} characters or an integer`);
  return m.id;
}

function requirePath(m: Fields, bad: (why: string) => Error): string {
  if (typeof m.path !== "string" || m.path.length > 1024)
    throw bad('"path" must be a string of at most 1024 characters');
  return m.path.replace(/^\/+|\/+$/g, "");
}

function requireString(m: Fields, key: string, bad: (why: string) => Error): string {
  const v = m[key];
  if (typeof v !== "string" || v.length === 0) throw bad(`"${key}" must be a non-empty string`);
  return v;
}

function allowOnly(m: Fields, keys: readonly string[], bad: (why: string) => Error): void {
  for (const key of Object.keys(m)) if (!keys.includes(key)) throw bad(`Unknown field "${key.slice(0, 64)}"`);
}

function parseOptions(raw: unknown, bad: (why: string) => Error): SubscribeOptions {
  if (raw === undefined) return { conflate: true };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad('"options" must be an object');
  const o = raw as Fields;
  allowOnly(o, ["conflate", "max_payload_bytes", "stride", "columns"], bad);
  if (o.conflate !== undefined && typeof o.conflate !== "boolean") throw bad('"options.conflate" must be a boolean');
  const conflate = o.conflate !== false;
  if (o.max_payload_bytes === undefined && o.stride === undefined && o.columns === undefined) return { conflate };
  const dataset = parseStreamOptions(o);
  if (typeof dataset === "string") throw bad(`"options": ${dataset}`);
  return { conflate, dataset };
}
