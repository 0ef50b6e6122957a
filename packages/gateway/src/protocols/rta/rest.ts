/**
 * The RTA REST API under `/rta/v2` (specs/rta-stream.md; docs/rta.md): sessions listed and read,
 * configs read, data read in the `application/vnd.mat.protobuf+chunked` framing; and beamgate's
 * own writes on the same resources (sessions created and changed, configs published, data
 * appended), answered once durable. Errors are JSON `{detail, code}` with a 4xx status.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CHUNKED_CONTENT_TYPE, ChunkedWriter, CONFIG_CONTENT_TYPE, parseChannelExpression } from "@beamgate/rta";
import type { ScopedHub } from "../../core/scoped-hub.js";
import { asBeamgateError, BeamgateError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { Access } from "../../security/access.js";
import { stringifyBig, toNanos } from "../../telemetry/big-json.js";
import type { DataRecord, RecordKind } from "../../telemetry/records.js";
import { describeIssues, SessionCreateSchema, SessionUpdateSchema } from "../../telemetry/session.js";
import type { TelemetryStore } from "../../telemetry/telemetry.js";
import { type Route, sendError } from "../../transport/http-server.js";
import { BodyError, readBody, readJsonBody } from "../../transport/json-body.js";
import { decodeDataBody } from "./data-body.js";
import { listElement } from "./wire.js";

export interface RtaRestOptions {
  readonly store: TelemetryStore;
  readonly log: Logger;
  /** Largest request body (a data append), bytes. */
  readonly maxBodyBytes: number;
  /** Bytes of `*List` payload per chunk of a data read (before LZ4). */
  readonly readChunkBytes: number;
  /** The principal's view of the hub, for sessions that record topics. */
  readonly hubOf: (access: Access) => ScopedHub;
  /** Starts recording hub topics into a new session. */
  readonly record: (identity: string, topics: readonly string[], hub: ScopedHub) => void;
}

/** The policy's name for a session and for a config. */
export const sessionUri = (identity: string) => `rta://${identity}`;
export const configUri = (identifier: string) => `rta-config://${identifier}`;

const READ_KINDS: Record<string, "periodic" | "timestamped" | "row"> = {
  periodic: "periodic",
  timestamped: "timestamped",
  row: "row",
};
const PAGE_SIZE_MAX = 1000;

export function rtaRestRoutes(options: RtaRestOptions): [string, Route][] {
  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL, access: Access) => {
    try {
      await dispatch(options, req, res, url, access);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof BodyError) {
        const code = e.status === 413 ? "BG_ERR_LIMIT_BODY_TOO_LARGE" : "BG_ERR_TELEMETRY_INVALID";
        sendJsonBig(res, e.status, { detail: e.message, code });
        return;
      }
      const error = asBeamgateError(e, "BG_ERR_TELEMETRY_INVALID");
      if (!(e instanceof BeamgateError)) options.log.error({ err: e, path: url.pathname }, "RTA request failed");
      sendError(res, error);
    }
  };
  return [["/rta/v2/**", { methods: ["GET", "POST", "PATCH", "PUT"], handle: (...a) => void handle(...a) }]];
}

async function dispatch(o: RtaRestOptions, req: IncomingMessage, res: ServerResponse, url: URL, access: Access) {
  const parts = url.pathname.split("/").slice(3).map(decodeURIComponent);
  const method = req.method ?? "GET";
  const [resource, id, sub, kind, channels] = parts;
  const allow = (methods: string[]) => {
    if (methods.includes(method)) return true;
    res.setHeader("Allow", methods.join(", "));
    sendJsonBig(res, 405, { detail: "Method Not Allowed" });
    return false;
  };
  if (resource === "sessions" && parts.length === 1) {
    if (!allow(["GET", "POST"])) return;
    return method === "GET" ? listSessions(o, res, url, access) : createSession(o, req, res, access);
  }
  if (resource === "sessions" && id !== undefined && parts.length === 2) {
    if (!allow(["GET", "PATCH"])) return;
    if (method === "GET") {
      access.require("read", sessionUri(id));
      return sendJsonBig(res, 200, o.store.session(id).session);
    }
    return updateSession(o, req, res, access, id);
  }
  if (resource === "sessions" && id !== undefined && sub === "data" && kind !== undefined) {
    if (kind === "events" && parts.length === 4) {
      if (!allow(["GET", "POST"])) return;
      return method === "GET" ? readData(o, res, url, access, id, "event") : append(o, req, res, access, id, "events");
    }
    const readKind = READ_KINDS[kind];
    if (readKind && parts.length === 5 && channels !== undefined) {
      if (!allow(["GET"])) return;
      return readData(o, res, url, access, id, readKind, channels);
    }
    if (readKind && parts.length === 4) {
      if (!allow(["POST"])) return;
      return append(o, req, res, access, id, readKind);
    }
  }
  if (resource === "configs" && id !== undefined && parts.length === 2) {
    if (!allow(["GET", "PUT"])) return;
    if (method === "GET") {
      access.require("read", configUri(id));
      const text = o.store.configText(id);
      res.writeHead(200, { "content-type": CONFIG_CONTENT_TYPE, "content-length": Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    writeAllowed(o, access, configUri(id));
    const created = o.store.publishConfig(id, await readJsonBody(req, o.maxBodyBytes));
    res.setHeader("Location", `/rta/v2/configs/${encodeURIComponent(id)}`);
    return sendJsonBig(res, created ? 201 : 200, { identifier: id, created });
  }
  sendJsonBig(res, 404, { detail: "Not Found" });
}

function listSessions(o: RtaRestOptions, res: ServerResponse, url: URL, access: Access): void {
  const pageIndex = integerParam(url, "pageIndex", 0, 0, 1_000_000);
  const pageSize = integerParam(url, "pageSize", 100, 1, PAGE_SIZE_MAX);
  const [property = "timestamp", direction = "desc"] = (url.searchParams.get("sort") ?? "timestamp:desc").split(":");
  if (direction !== "asc" && direction !== "desc") {
    throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", `sort: "${direction}" is neither asc nor desc`);
  }
  const sign = direction === "asc" ? 1 : -1;
  const sessions = o.store
    .sessions()
    .filter((s) => access.may("read", sessionUri(s.identity)))
    .sort((a, b) => sign * compare((a as never)[property], (b as never)[property]));
  sendJsonBig(res, 200, { sessions: sessions.slice(pageIndex * pageSize, (pageIndex + 1) * pageSize) });
}

async function createSession(o: RtaRestOptions, req: IncomingMessage, res: ServerResponse, access: Access) {
  const parsed = SessionCreateSchema.safeParse((await readJsonBody(req, o.maxBodyBytes)) ?? {});
  if (!parsed.success) throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", describeIssues(parsed.error));
  const input = { ...parsed.data, identity: parsed.data.identity ?? crypto.randomUUID() };
  writeAllowed(o, access, sessionUri(input.identity));
  const hub = o.hubOf(access);
  for (const topic of input.record ?? []) hub.require("read", topic);
  const stored = o.store.createSession(input);
  if (input.record?.length) o.record(input.identity, input.record, hub);
  res.setHeader("Location", `/rta/v2/sessions/${encodeURIComponent(input.identity)}`);
  sendJsonBig(res, 201, stored.session);
}

async function updateSession(o: RtaRestOptions, req: IncomingMessage, res: ServerResponse, access: Access, id: string) {
  writeAllowed(o, access, sessionUri(id));
  const parsed = SessionUpdateSchema.safeParse((await readJsonBody(req, o.maxBodyBytes)) ?? {});
  if (!parsed.success) throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", describeIssues(parsed.error));
  sendJsonBig(res, 200, await o.store.updateSession(id, parsed.data));
}

async function append(
  o: RtaRestOptions,
  req: IncomingMessage,
  res: ServerResponse,
  access: Access,
  id: string,
  kind: "periodic" | "timestamped" | "row" | "events",
) {
  // Appends are not audited one by one (they would drown the log); a refused one is.
  if (!access.may("write", sessionUri(id))) writeAllowed(o, access, sessionUri(id));
  const stored = o.store.session(id);
  const body = await readBody(req, o.maxBodyBytes);
  const data = decodeDataBody(kind, body, req.headers["content-type"], stored.channels);
  const count = await o.store.append(id, data);
  sendJsonBig(res, 200, { stored: count });
}

/** Data in the chunked framing, records sorted by time within each chunk, each chunk LZ4-compressed. */
async function readData(
  o: RtaRestOptions,
  res: ServerResponse,
  url: URL,
  access: Access,
  id: string,
  kind: RecordKind,
  channels?: string,
) {
  access.require("read", sessionUri(id));
  const stored = o.store.session(id);
  let matches: ((id: number) => boolean) | undefined;
  if (channels !== undefined) {
    try {
      const expression = parseChannelExpression(channels);
      matches = (c) => expression.matches(c);
    } catch (e) {
      throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", `channels: ${(e as Error).message}`);
    }
  }
  const start = nanosParam(url, "start") ?? -(2n ** 63n);
  const end = nanosParam(url, "end") ?? 2n ** 63n - 1n;
  if (end < start) throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", "end precedes start");
  const records = stored.read({ kind, start, end, ...(matches ? { channel: matches } : {}) });
  res.writeHead(200, { "content-type": CHUNKED_CONTENT_TYPE });
  const writer = new ChunkedWriter();
  let batch: DataRecord[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    batch.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const first = (batch[0] as DataRecord).start;
    let last = first;
    const ids = new Set<number>();
    for (const r of batch) {
      if (r.end > last) last = r.end;
      for (const c of r.channelIds) if (!matches || matches(c)) ids.add(c);
    }
    const payload = Buffer.concat(batch.map(listElement));
    const framed = writer.encode({
      startTime: first,
      duration: last - first,
      channelIds: [...ids].sort((a, b) => a - b),
      payload,
      compress: true,
    });
    batch = [];
    bytes = 0;
    if (!res.write(framed)) await drained(res);
    // A long read must not hold the event loop: appends and streams go on between its chunks.
    await new Promise(setImmediate);
  };
  // Leaving the loop early (the client went away) closes the generator and lets go of its chunk.
  for (const r of records) {
    batch.push(r);
    bytes += r.body.length;
    if (bytes >= o.readChunkBytes) await flush();
    if (res.destroyed) return;
  }
  await flush();
  res.end();
}

/** Resolves when the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

function writeAllowed(o: RtaRestOptions, access: Access, uri: string): void {
  o.hubOf(access).requireOwn("write", uri);
}

function integerParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", `${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

function nanosParam(url: URL, name: string): bigint | undefined {
  const text = url.searchParams.get(name);
  if (text === null) return undefined;
  try {
    return toNanos(text, name);
  } catch (e) {
    throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", (e as Error).message);
  }
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return (a as number | string | bigint) < (b as number | string | bigint) ? -1 : 1;
}

function sendJsonBig(res: ServerResponse, status: number, body: unknown): void {
  const text = stringifyBig(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
