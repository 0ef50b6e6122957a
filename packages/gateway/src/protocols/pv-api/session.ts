/**
 * One `/ws` PV API connection. Values are batched per connection: a PV that changes during the
 * window appears once, with its latest value, in one `update` (one PV) or `batch_update` (several).
 * While the connection lags, the batch is held back and keeps only the latest value per PV; the
 * next batch then says how many values it skipped.
 */
import type { ScopedHub } from "../../core/scoped-hub.js";
import type { Sample } from "../../core/values.js";
import { asBeamgateError, type BeamgateError } from "../../errors.js";
import type { Connection } from "../../transport/connection.js";
import type { Outgoing } from "../../transport/outgoing.js";
import type { Session } from "../../transport/protocol.js";
import { BATCH_HEAD, COMMA, disconnectedBody, initialValue, sampleBody } from "./encode.js";
import { PvApiError, parsePvApiMessage } from "./messages.js";
import { PvWatch, type WatchOwner } from "./watch.js";

export interface PvApiOptions {
  readonly batchWindowMs: number;
  readonly connectTimeoutMs: number;
  readonly maxSubscriptions: number;
}

export class PvApiSession implements Session, WatchOwner {
  readonly #connection: Connection;
  readonly #hub: ScopedHub;
  readonly #options: PvApiOptions;
  readonly #watches = new Map<string, PvWatch>();
  readonly #dirty = new Set<PvWatch>();
  readonly #pending = new Set<{ watches: PvWatch[]; timer: NodeJS.Timeout }>();
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #held = false;
  #skipped = 0;

  constructor(connection: Connection, hub: ScopedHub, options: PvApiOptions) {
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

  refuse(error: BeamgateError): void {
    this.#error(error.message);
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
    for (const w of live) w.announce();
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
    const parts: Array<{ watch: PvWatch; body: Buffer }> = [];
    for (const watch of this.#dirty) {
      const event = watch.lastEvent;
      const live = watch.connected && event?.kind === "data";
      parts.push({ watch, body: live ? sampleBody(event) : disconnectedBody(watch.last as Sample) });
    }
    this.#dirty.clear();
    const [only] = parts;
    if (parts.length === 1 && only && this.#skipped === 0) {
      this.#connection.send(message([only.watch.prefixes.update, only.body]));
      this.#connection.flush();
      return;
    }
    const chunks: Buffer[] = [BATCH_HEAD];
    parts.forEach(({ watch, body }, i) => {
      if (i > 0) chunks.push(COMMA);
      chunks.push(watch.prefixes.entry, body);
    });
    chunks.push(Buffer.from(this.#skipped > 0 ? `],"skipped":${this.#skipped}}` : "]}"));
    this.#connection.send(message(chunks));
    this.#connection.flush(); // this flush already ran in its own turn: no need to wait for another
    this.#skipped = 0;
  }

  #error(message: string): void {
    this.#send({ type: "error", message });
  }

  #send(fields: Record<string, unknown>): void {
    this.#connection.sendText(JSON.stringify(fields));
  }
}

function message(chunks: Buffer[]): Outgoing {
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
    case "BG_ERR_AUTH_FORBIDDEN":
      return `PV ${name}: ${error.message}`;
    default:
      return `PV ${name} unavailable: ${error.message}`;
  }
}
