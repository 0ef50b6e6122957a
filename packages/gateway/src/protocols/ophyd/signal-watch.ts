/**
 * One signal a socket holds: a PV of pv-socket, or a leaf signal of a device-socket device. It
 * keeps the topic's status, metadata and last value, and sends the frames the client expects:
 * nothing until the signal is connected with its metadata and a first value, then a meta frame
 * followed by a value frame; later a value frame per new value and a meta frame whenever the
 * connection, access or metadata change. Never a value frame saying `connected: false` (finch
 * would show the PV as disconnected after its meta said otherwise). While the connection lags, a
 * new value waits in the watch, replacing any older one waiting, until the owner flushes it on
 * drain: latest value wins, memory stays bounded.
 */
import type { DataEvent, TopicEvent } from "../../core/events.js";
import type { Subscriber, Subscription } from "../../core/subscription.js";
import { DISCONNECTED, type Meta, type Status } from "../../core/values.js";
import type { BeamgateError } from "../../errors.js";
import type { Connection } from "../../transport/connection.js";
import { type Access, accessOf, metaFrame, type Subject, valueBody, valuePrefix } from "./frames.js";

/** What the watch tells its owner besides the frames it sends. */
export interface WatchOwner {
  /** The hub ended the subscription (the PV was not found, the source failed, shutdown). */
  ended(watch: SignalWatch, error: BeamgateError): void;
  /** A value waits for the connection to drain: call `flushHeld()` then. */
  held(watch: SignalWatch): void;
}

/** What a device's value frames say of the whole device: every signal connected; its setpoint writable. */
export interface DeviceState {
  readonly connected: boolean;
  readonly writeAccess: boolean;
}

export class SignalWatch implements Subscriber {
  readonly subject: Subject;
  /** The name in the meta frame's `obj` key: the PV name. */
  readonly obj: string;
  subscription: Subscription | undefined;
  status: Status = DISCONNECTED;
  meta: Meta | undefined;
  last: DataEvent | undefined;
  /** Read-only holders see `write_access: false`, and may not set. */
  readOnly: boolean;
  /** Which frames the client gets: meta and value, meta only, or none (a signal watched for a set). */
  readonly frames: "all" | "meta" | "none";
  readonly #connection: Connection;
  readonly #owner: WatchOwner;
  readonly #prefix: Buffer;
  /** A device's watches share one: value frames say whether the whole device is connected and may be set. */
  readonly #group: DeviceState | undefined;
  /** Frames go out only once the owner has announced the subscription. */
  #announced = false;
  /** What the client was last told of the connection (a meta frame), if anything. */
  #told: Access | undefined;
  /** A new value waits for the connection to drain. */
  #holding = false;

  constructor(
    subject: Subject,
    obj: string,
    options: { readOnly: boolean; frames: SignalWatch["frames"]; group?: DeviceState },
    connection: Connection,
    owner: WatchOwner,
  ) {
    this.subject = subject;
    this.obj = obj;
    this.readOnly = options.readOnly;
    this.frames = options.frames;
    this.#group = options.group;
    this.#connection = connection;
    this.#owner = owner;
    this.#prefix = valuePrefix(subject);
  }

  get access(): Access {
    return accessOf(this.status, this.readOnly);
  }

  /** Connected, with metadata and a first value: the client can be shown the signal. */
  get ready(): boolean {
    return this.status.connected && this.meta !== undefined && this.last !== undefined;
  }

  /** Starts sending: the meta and value frames now if the signal is ready, later as it changes. */
  announce(): void {
    this.#announced = true;
    if (this.ready) this.resend();
  }

  /** Sends the meta and value frames again (a duplicate subscribe). */
  resend(): void {
    if (!this.ready || !this.#announced) return;
    this.#sendMeta();
    this.sendValue();
  }

  /** Sends the current value (refresh); nothing if the signal is not ready. */
  sendValue(): void {
    const last = this.last;
    this.#holding = false;
    if (!this.ready || !last || !this.#announced || this.frames !== "all") return;
    const group = this.#group;
    const access = group ? { ...this.access, connected: group.connected, writeAccess: group.writeAccess } : this.access;
    const body = valueBody(last, this.meta, access);
    this.#connection.send({ binary: false, chunks: [this.#prefix, body], bytes: this.#prefix.length + body.length });
  }

  /** Sends the value held back while the connection lagged. */
  flushHeld(): void {
    if (this.#holding) this.sendValue();
  }

  /** Changes read-only mode (another holder subscribed read-write): the client hears of it as an access change. */
  setReadOnly(readOnly: boolean): void {
    if (this.readOnly === readOnly) return;
    this.readOnly = readOnly;
    if (this.#announced && this.#told) this.#sendMeta();
  }

  onEvent(event: TopicEvent): void {
    switch (event.kind) {
      case "status":
        this.status = event.status;
        this.#statusChanged();
        return;
      case "meta":
        this.meta = event.meta;
        if (this.#announced && this.#told?.connected) this.#sendMeta();
        else this.#becameReady();
        return;
      case "data": {
        const wasReady = this.ready;
        this.last = event;
        if (!this.#announced) return;
        if (!wasReady || !this.#told?.connected) this.#becameReady();
        else if (this.#holding) return;
        else if (this.#connection.lagging) {
          this.#holding = true;
          this.#owner.held(this);
        } else this.sendValue();
      }
    }
  }

  onEnd(error: BeamgateError): void {
    this.subscription = undefined;
    this.#owner.ended(this, error);
  }

  #statusChanged(): void {
    if (!this.#announced) return;
    if (!this.status.connected) {
      if (this.#told?.connected) this.#sendMeta();
      return;
    }
    if (this.#told?.connected) this.#sendMeta();
    else this.#becameReady();
  }

  /** First time ready since the client was last told it is disconnected (or told nothing): meta, then value. */
  #becameReady(): void {
    if (this.#announced && this.ready) this.resend();
  }

  #sendMeta(): void {
    const access = this.access;
    this.#told = access;
    if (this.frames === "none") return;
    this.#connection.sendText(metaFrame(this.subject, this.obj, access, this.meta, this.last?.sample, this.readOnly));
  }
}
