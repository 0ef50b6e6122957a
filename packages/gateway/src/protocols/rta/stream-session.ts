/**
 * One RTA stream connection (specs/rta-stream.md): the Session JSON alone first, time ranges
 * whether subscribed or not, and data and events only for what `StreamRequest.subscribe` asked,
 * which only widens. Each widening back-fills a window behind the leading edge from the store,
 * in the same turn as it starts following live, so nothing falls between the two. A session that
 * cannot be streamed is closed at once without a message; an ended session closes normally once
 * what it published is sent.
 */
import {
  burstElement,
  create,
  fromBinary,
  StreamDataSchema,
  type StreamRequest,
  StreamRequestSchema,
  toBinary,
} from "@beamgate/rta";
import { BeamgateError } from "../../errors.js";
import type { Access } from "../../security/access.js";
import { stringifyBig } from "../../telemetry/big-json.js";
import type { PublishedRecord } from "../../telemetry/published.js";
import type { DataRecord, RecordKind } from "../../telemetry/records.js";
import { isLive, type Session, type TimeRange } from "../../telemetry/session.js";
import type { StoredSession } from "../../telemetry/session-store.js";
import type { TelemetryStore } from "../../telemetry/telemetry.js";
import type { Connection } from "../../transport/connection.js";
import type { Session as ProtocolSession } from "../../transport/protocol.js";
import { type BurstOptions, BurstWriter } from "./burst-writer.js";
import { sessionUri } from "./rest.js";
import { streamElement } from "./wire.js";

export interface StreamOptions extends BurstOptions {
  /** How far behind the leading edge a new subscription is back-filled, ms. */
  readonly backfillMs: number;
  /** At most this many bytes of back-fill per subscribe: the newest records within the window. */
  readonly backfillMaxBytes: number;
}

/** WebSocket close code for a malformed client message. */
const PROTOCOL_ERROR = 1002;
const DATA_KINDS: readonly RecordKind[] = ["periodic", "timestamped", "row"];

export class RtaStreamSession implements ProtocolSession {
  readonly #connection: Connection;
  readonly #options: StreamOptions;
  readonly #burst: BurstWriter;
  #stored: StoredSession | undefined;
  #stopFollowing: (() => void) | undefined;
  #releaseHold: (() => void) | undefined;
  #allEvents = false;
  #allData = false;
  readonly #channels = new Set<number>();
  #sentRange: TimeRange | undefined;

  constructor(connection: Connection, identity: string, store: TelemetryStore, access: Access, options: StreamOptions) {
    this.#connection = connection;
    this.#options = options;
    this.#burst = new BurstWriter(connection, options);
    if (!access.may("read", sessionUri(identity))) {
      connection.close(new BeamgateError("BG_ERR_AUTH_FORBIDDEN", `Not allowed to read session ${identity}`));
      return;
    }
    const stored = store.has(identity) ? store.session(identity) : undefined;
    if (!stored || !isLive(stored.session.state)) {
      connection.end(1000, "Session not available to stream");
      return;
    }
    this.#stored = stored;
    this.#releaseHold = access.hold(sessionUri(identity), (e) => this.#stop(e));
    this.#stopFollowing = store.follow(identity, {
      onData: (records) => this.#onData(records),
      onSession: (session) => this.#onSession(session),
    });
    this.#burst.add(sessionElement(stored.session));
    this.#burst.flush();
    this.tick();
  }

  /** Sends the session's time range if it moved (called on the adapter's interval). */
  tick(): void {
    const range = this.#stored?.timeRange;
    if (!range || this.#connection.closing) return;
    const sent = this.#sentRange;
    if (sent && sent.startTime === range.startTime && sent.endTime === range.endTime) return;
    this.#sentRange = range;
    const element = create(StreamDataSchema, { data: { case: "timeRange", value: range } });
    this.#burst.add(burstElement(toBinary(StreamDataSchema, element)));
  }

  onMessage(data: Buffer, isBinary: boolean): void {
    let request: StreamRequest;
    try {
      if (!isBinary) throw new Error("client messages are binary StreamRequest messages");
      request = fromBinary(StreamRequestSchema, data);
    } catch (e) {
      this.#stop(undefined, PROTOCOL_ERROR, `Malformed StreamRequest: ${(e as Error).message}`);
      return;
    }
    if (request.option.case === "subscribe") this.#widen(request.option.value);
  }

  refuse(error: BeamgateError): void {
    this.#stop(error);
  }

  onClose(): void {
    this.#burst.discard();
    this.#stopFollowing?.();
    this.#releaseHold?.();
    this.#stopFollowing = this.#releaseHold = undefined;
  }

  #widen(subscription: { allEvents: boolean; allDataChannels: boolean; dataChannelIds: number[] }): void {
    const stored = this.#stored;
    if (!stored) return;
    const hadAll = this.#allData;
    const newEvents = subscription.allEvents && !this.#allEvents;
    const newAll = subscription.allDataChannels && !hadAll;
    // Only channels the session has are kept, so a client cannot grow the set without bound.
    const known = stored.channels.channels;
    const newIds = new Set(
      hadAll ? [] : subscription.dataChannelIds.filter((id) => known.has(id) && !this.#channels.has(id)),
    );
    // What was wanted before this request (the state is widened below, before the back-fill).
    const wasWanted = (id: number) => hadAll || (this.#channels.has(id) && !newIds.has(id));
    const added = (id: number) => !wasWanted(id) && (newAll || newIds.has(id));
    this.#allEvents ||= subscription.allEvents;
    this.#allData ||= subscription.allDataChannels;
    for (const id of newIds) this.#channels.add(id);
    const edge = stored.timeRange?.endTime;
    if (edge === undefined || this.#options.backfillMs <= 0) return;
    const start = edge - BigInt(this.#options.backfillMs) * 1_000_000n;
    const backfill: DataRecord[] = [];
    if (newAll || newIds.size > 0) {
      for (const kind of DATA_KINDS) {
        for (const r of stored.read({ kind, start, end: edge, channel: added })) {
          // A row already sent for another subscribed channel is not sent twice.
          if (kind !== "row" || !r.channelIds.some(wasWanted)) backfill.push(r);
        }
      }
    }
    if (newEvents) backfill.push(...stored.read({ kind: "event", start, end: edge }));
    for (const r of newest(backfill, this.#options.backfillMaxBytes)) this.#burst.add(streamElement(r));
  }

  #wants(r: DataRecord): boolean {
    if (r.kind === "event") return this.#allEvents;
    if (this.#allData) return true;
    for (const id of r.channelIds) if (this.#channels.has(id)) return true;
    return false;
  }

  #onData(records: readonly PublishedRecord[]): void {
    for (const p of records) {
      if (this.#wants(p.record)) this.#burst.add(p.encoded("rta-stream", streamElement));
    }
  }

  #onSession(session: Session): void {
    this.tick();
    this.#burst.add(sessionElement(session));
    if (isLive(session.state)) return;
    // Ended: what was published is sent, then the close handshake.
    this.#burst.flush();
    this.#stopFollowing?.();
    this.#stopFollowing = undefined;
    this.#connection.end(1000, `Session ${session.state}`);
  }

  #stop(error?: BeamgateError, code?: number, reason?: string): void {
    this.#burst.discard();
    this.#connection.close(error, code, reason);
  }
}

function sessionElement(session: Session): Uint8Array {
  const data = create(StreamDataSchema, { data: { case: "sessionJson", value: stringifyBig(session) } });
  return burstElement(toBinary(StreamDataSchema, data));
}

/** The newest records (by time) whose bodies fit in `maxBytes`, oldest first. */
function newest(records: DataRecord[], maxBytes: number): DataRecord[] {
  records.sort((a, b) => (a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
  let bytes = 0;
  let first = records.length;
  while (first > 0 && bytes + (records[first - 1] as DataRecord).body.length <= maxBytes) {
    first--;
    bytes += (records[first] as DataRecord).body.length;
  }
  return records.slice(first);
}
