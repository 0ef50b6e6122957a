/**
 * One `/ws` PV API connection. Values are batched per connection: a PV that changes during the
 * window appears once, with its latest value, in one `update` (one PV) or `batch_update` (several).
 * While the connection lags, the batch is held back and keeps only the latest value per PV; the
 * next batch then says how many values it skipped.
 */
import type { TopicEvent } from "../../core/events.js";
import type { Hub } from "../../core/hub.js";
import type { Subscriber, Subscription } from "../../core/subscription.js";
import { type Sample, sameValue } from "../../core/values.js";
import { asBeamgateError, type BeamgateError } from "../../errors.js";
import type { Connection } from "../../transport/connection.js";
import type { Outgoing } from "../../transport/outgoing.js";
import type { Session } from "../../transport/protocol.js";
import { BATCH_HEAD, COMMA, initialValue, PvNameEncoder } from "./encode.js";
import { PvApiError, parsePvApiMessage } from "./messages.js";

export interface PvApiOptions {
  readonly batchWindowMs: number;
  readonly connectTimeoutMs: number;
  readonly maxSubscriptions: number;
}

class PvWatch implements Subscriber {
  subscription: Subscription | undefined;
  last: Sample | undefined;
  lastEvent: TopicEvent | undefined;
  connected = false;
  /** Whether this PV has been confirmed by a `subscribed` message (until then values are held). */
  announced = false;
  /** A disconnection was reported: the next value goes out even if it equals the last one. */
  #reportedDown = false;

  readonly encoder: PvNameEncoder;

  constructor(
    readonly name: string,
    readonly session: PvApiSession,
  ) {
    this.encoder = new PvNameEncoder(name);
  }

  onEvent(event: TopicEvent): void {
    if (event.kind === "status") {
      const was = this.connected;
      this.connected = event.status.connected;
      if (was && !this.connected && this.announced && this.last) {
        this.#reportedDown = true;
        this.session.changed(this);
      }
    } else if (event.kind === "data") {
      // Diff-based: a sample whose value and alarm equal the last one's is not news.
      if (this.last && !this.#reportedDown && unchanged(this.last, event.sample)) return;
      this.#reportedDown = false;
      this.last = event.sample;
      this.lastEvent = event;
      if (this.announced) this.session.changed(this);
      else this.session.initialArrived();
    }
  }

  onEnd(error: BeamgateError): void {
    this.session.ended(this, error);
  }
}

export class PvApiSession implements Session {
  readonly #connection: Connection;
  readonly #hub: Hub;
  readonly #options: PvApiOptions;
  readonly #watches = new Map<string, PvWatch>();
  readonly #dirty = new Set<PvWatch>();
  readonly #pending = new Set<{ watches: PvWatch[]; timer: NodeJS.Timeout }>();
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #held = false;
  #skipped = 0;

  constructor(connection: Connection, hub: Hub, options: PvApiOptions) {
    this.#connection = connection;
    this.#hub = hub;
    this.#options = options;
    connection.onDrain = () => {
      if (this.#held) this.#flush();
    };
  }

  onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.#error("Binary frames are not supported: send JSON text messages");
      return;
    }
    try {
      const message = parsePvApiMessage(data.toString("utf8"));
      switch (message.action) {
        case "subscribe":
          this.#subscribe(message.pvNames);
          return;
        case "unsubscribe":
          this.#unsubscribe(message.pvNames);
          return;
        case "list_subscriptions":
          this.#send({ type: "subscriptions", pv_names: [...this.#watches.keys()] });
          return;
      }
    } catch (e) {
      if (!(e instanceof PvApiError)) throw e;
      this.#error(e.message);
    }
  }

  onClose(): void {
    clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    for (const p of this.#pending) clearTimeout(p.timer);
    this.#pending.clear();
    for (const watch of this.#watches.values()) watch.subscription?.close();
    this.#watches.clear();
    this.#dirty.clear();
  }

  /** A watched PV has a new value or lost its connection: it goes into the next batch. */
  changed(watch: PvWatch): void {
    if (this.#dirty.has(watch)) {
      if (this.#held) this.#skipped++;
      return;
    }
    this.#dirty.add(watch);
    if (this.#timer || this.#immediate || this.#held) return;
    if (this.#options.batchWindowMs === 0) this.#immediate = setImmediate(() => this.#flush());
    else this.#timer = setTimeout(() => this.#flush(), this.#options.batchWindowMs);
  }

  /** A first value arrived for a PV not yet confirmed: answer any `subscribe` that now has all it waited for. */
  initialArrived(): void {
    for (const p of this.#pending) {
      if (p.watches.every((w) => w.last !== undefined || w.subscription === undefined)) this.#confirm(p);
    }
  }

  ended(watch: PvWatch, error: BeamgateError): void {
    if (this.#watches.get(watch.name) === watch) this.#watches.delete(watch.name);
    this.#dirty.delete(watch);
    watch.subscription = undefined;
    this.#error(failureText(watch.name, error));
    this.initialArrived();
  }

  #subscribe(names: readonly string[]): void {
    const accepted: PvWatch[] = [];
    const refused: string[] = [];
    for (const name of names) {
      let watch = this.#watches.get(name);
      if (!watch) {
        if (this.#watches.size >= this.#options.maxSubscriptions) {
          refused.push(name);
          continue;
        }
        watch = new PvWatch(name, this);
        try {
          watch.subscription = this.#hub.subscribe(name, watch);
        } catch (e) {
          this.#error(failureText(name, asBeamgateError(e, "BG_ERR_TOPIC_FAILED")));
          continue;
        }
        this.#watches.set(name, watch);
      }
      accepted.push(watch);
    }
    if (refused.length > 0) {
      this.#error(
        `Subscription limit reached (${this.#options.maxSubscriptions} PVs per connection): not subscribed to ${refused.length} PV(s): ${listed(refused)}`,
      );
    }
    if (accepted.length === 0) return;
    const pending = {
      watches: accepted,
      timer: setTimeout(() => this.#confirm(pending), this.#options.connectTimeoutMs),
    };
    this.#pending.add(pending);
    this.initialArrived();
  }

  /** Sends `subscribed` with the initial values known now; later values go out as updates. */
  #confirm(pending: { watches: PvWatch[]; timer: NodeJS.Timeout }): void {
    if (!this.#pending.delete(pending)) return;
    clearTimeout(pending.timer);
    const live = pending.watches.filter((w) => w.subscription !== undefined);
    if (live.length === 0) return;
    const initial = live
      .filter((w) => w.last !== undefined)
      .map((w) => `${JSON.stringify(w.name)}:${initialValue(w.last as Sample, w.connected)}`);
    for (const w of live) w.announced = true;
    this.#connection.sendText(
      `{"type":"subscribed","pv_names":${JSON.stringify(live.map((w) => w.name))},"initial_values":{${initial.join(",")}}}`,
    );
  }

  #unsubscribe(names: readonly string[]): void {
    const done: string[] = [];
    const unknown: string[] = [];
    for (const name of names) {
      const watch = this.#watches.get(name);
      if (!watch) {
        unknown.push(name);
        continue;
      }
      this.#watches.delete(name);
      this.#dirty.delete(watch);
      watch.subscription?.close();
      watch.subscription = undefined;
      done.push(name);
    }
    if (unknown.length > 0) this.#error(`Not subscribed: ${listed(unknown)}`);
    if (done.length > 0) this.#send({ type: "unsubscribed", pv_names: done });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#immediate = undefined;
    if (this.#dirty.size === 0) return;
    if (this.#connection.lagging) {
      this.#held = true; // resumed by onDrain
      return;
    }
    this.#held = false;
    const entries: Buffer[] = [];
    let single: Buffer | undefined;
    for (const watch of this.#dirty) {
      const event = watch.lastEvent;
      const live = watch.connected && event?.kind === "data";
      if (this.#dirty.size === 1 && this.#skipped === 0 && live) single = watch.encoder.update(event);
      else entries.push(live ? watch.encoder.entry(event) : watch.encoder.disconnected(watch.last as Sample));
    }
    this.#dirty.clear();
    if (single) {
      this.#connection.send({ binary: false, chunks: [single], bytes: single.length });
      return;
    }
    if (entries.length === 1 && this.#skipped === 0) {
      // One disconnected PV: an `update` message rather than a batch of one.
      const entry = entries[0] as Buffer;
      const text = `{"type":"update",${entry.subarray(1).toString()}`;
      this.#connection.sendText(text);
      return;
    }
    this.#connection.send(batchMessage(entries, this.#skipped));
    this.#skipped = 0;
  }

  #error(message: string): void {
    this.#send({ type: "error", message });
  }

  #send(fields: Record<string, unknown>): void {
    this.#connection.sendText(JSON.stringify(fields));
  }
}

function unchanged(a: Sample, b: Sample): boolean {
  return a.alarm.severity === b.alarm.severity && a.alarm.status === b.alarm.status && sameValue(a.value, b.value);
}

function batchMessage(entries: readonly Buffer[], skipped: number): Outgoing {
  const tail = Buffer.from(skipped > 0 ? `],"skipped":${skipped}}` : "]}");
  const chunks: Buffer[] = [BATCH_HEAD];
  entries.forEach((e, i) => {
    if (i > 0) chunks.push(COMMA);
    chunks.push(e);
  });
  chunks.push(tail);
  let bytes = 0;
  for (const c of chunks) bytes += c.length;
  return { binary: false, chunks, bytes };
}

/** Names for an error message: the first ten, then how many more. */
function listed(names: readonly string[]): string {
  const more = names.length > 10 ? ` and ${names.length - 10} more` : "";
  return names.slice(0, 10).join(", ") + more;
}

function failureText(name: string, error: BeamgateError): string {
  switch (error.code) {
    case "BG_ERR_TOPIC_NOT_FOUND":
      return `PV not found: ${name}`;
    case "BG_ERR_TOPIC_INVALID":
      return `PV not found: ${name} (${error.message})`;
    default:
      return `PV ${name} unavailable: ${error.message}`;
  }
}
