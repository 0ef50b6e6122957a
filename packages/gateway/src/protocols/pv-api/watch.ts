/**
 * One PV a `/ws` connection watches, under the name the client gave. It keeps what the client was
 * last told, so that only news goes out: a sample whose value and alarm equal the last one's is
 * dropped, except right after the client was told the PV is disconnected.
 */
import type { TopicEvent } from "../../core/events.js";
import type { Subscriber, Subscription } from "../../core/subscription.js";
import { type Sample, sameSample } from "../../core/values.js";
import type { BeamgateError } from "../../errors.js";
import { PvNamePrefixes } from "./encode.js";

/** What a watch tells its session. */
export interface WatchOwner {
  /** A new value, or a disconnection, for the next batch. */
  changed(watch: PvWatch): void;
  /** A first value arrived before the PV was confirmed by `subscribed`. */
  initialArrived(): void;
  ended(watch: PvWatch, error: BeamgateError): void;
}

export class PvWatch implements Subscriber {
  readonly name: string;
  readonly prefixes: PvNamePrefixes;
  subscription: Subscription | undefined;
  last: Sample | undefined;
  lastEvent: TopicEvent | undefined;
  connected = false;
  /** Whether this PV has been confirmed by a `subscribed` message (until then values are held). */
  announced = false;
  readonly #owner: WatchOwner;
  /** The client was told the PV is disconnected: the next value goes out even if it is the same. */
  #toldDown = false;
  /** Sequence of the last data event seen (sent or found unchanged). */
  #lastSequence = 0;

  constructor(name: string, owner: WatchOwner) {
    this.name = name;
    this.#owner = owner;
    this.prefixes = new PvNamePrefixes(name);
  }

  /** The PV is confirmed by `subscribed` (with its initial value, or as disconnected). */
  announce(): void {
    this.announced = true;
    this.#toldDown = !this.connected;
  }

  onEvent(event: TopicEvent): void {
    if (event.kind === "status") {
      const was = this.connected;
      this.connected = event.status.connected;
      if (was && !this.connected && this.announced && this.last) {
        this.#toldDown = true;
        this.#owner.changed(this);
      }
    } else if (event.kind === "data") {
      // The topic compared the value with its previous one; that answer holds if this watch saw it too.
      const follows = event.sequence === this.#lastSequence + 1;
      this.#lastSequence = event.sequence;
      const unchanged = follows ? event.sameAsPrevious : this.last !== undefined && sameSample(this.last, event.sample);
      if (this.last && !this.#toldDown && unchanged) return;
      this.#toldDown = false;
      this.last = event.sample;
      this.lastEvent = event;
      if (this.announced) this.#owner.changed(this);
      else this.#owner.initialArrived();
    }
  }

  onEnd(error: BeamgateError): void {
    this.#owner.ended(this, error);
  }
}
