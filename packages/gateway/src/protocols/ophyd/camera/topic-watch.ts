/** One PV a camera feed watches: its connection, metadata and latest value, as the hub reports them. */
import type { DataEvent, TopicEvent } from "../../../core/events.js";
import type { Subscriber, Subscription } from "../../../core/subscription.js";
import { DISCONNECTED, type Meta, type Status } from "../../../core/values.js";
import type { BeamgateError } from "../../../errors.js";

export class TopicWatch implements Subscriber {
  readonly pv: string;
  subscription: Subscription | undefined;
  status: Status = DISCONNECTED;
  meta: Meta | undefined;
  last: DataEvent | undefined;
  /** Why the hub ended the subscription (not found, shutdown), if it did. */
  ended: BeamgateError | undefined;
  readonly #changed: (watch: TopicWatch, event: TopicEvent | undefined) => void;

  /** `changed` hears every event, and `undefined` when the subscription ends. */
  constructor(pv: string, changed: (watch: TopicWatch, event: TopicEvent | undefined) => void) {
    this.pv = pv;
    this.#changed = changed;
  }

  /** Connected, with metadata and a value: usable. */
  get ready(): boolean {
    return this.status.connected && this.meta !== undefined && this.last !== undefined;
  }

  onEvent(event: TopicEvent): void {
    if (event.kind === "status") this.status = event.status;
    else if (event.kind === "meta") this.meta = event.meta;
    else this.last = event;
    this.#changed(this, event);
  }

  onEnd(error: BeamgateError): void {
    this.subscription = undefined;
    this.ended = error;
    this.#changed(this, undefined);
  }

  close(): void {
    this.subscription?.close();
    this.subscription = undefined;
  }
}
