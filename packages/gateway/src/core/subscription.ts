/** A subscriber's hold on one topic, and the interface through which it receives the topic's events. */
import type { BeamgateError } from "../errors.js";
import type { DataEvent, Gap, TopicEvent } from "./events.js";
import type { Topic } from "./topic.js";

/** Receives a subscription's events. Called synchronously; must not throw. */
export interface Subscriber {
  onEvent(event: TopicEvent): void;
  /** Records the subscriber asked for (or missed) that it will not get. */
  onGap?(gap: Gap): void;
  /** The hub ended the subscription: the topic failed or the hub is closing. */
  onEnd(error: BeamgateError): void;
}

export class Subscription {
  readonly subscriber: Subscriber;
  #topic: Topic | undefined;
  readonly #release: (subscription: Subscription, topic: Topic) => void;
  /** Called once when the subscription ends, however it ends (a scoped hub drops its access hold). */
  onClosed: (() => void) | undefined;

  constructor(topic: Topic, subscriber: Subscriber, release: (subscription: Subscription, topic: Topic) => void) {
    this.#topic = topic;
    this.subscriber = subscriber;
    this.#release = release;
  }

  /** The canonical topic URI. */
  get uri(): string {
    return this.#open().uri;
  }

  get epoch(): string {
    return this.#open().epoch;
  }

  get kind(): "state" | "log" {
    return this.#open().kind;
  }

  get closed(): boolean {
    return this.#topic === undefined;
  }

  /** Retained records from `sequence` on (log topics); any expired part is reported as a gap first. */
  replayFrom(sequence: number): DataEvent[] {
    return this.#open().replay(this.subscriber, sequence);
  }

  /** Ends the subscription; the topic closes upstream after its linger if this was the last one. Idempotent. */
  close(): void {
    const topic = this.#topic;
    if (!topic) return;
    this.#topic = undefined;
    this.#release(this, topic);
    this.onClosed?.();
  }

  /** The hub ended the topic underneath this subscription. */
  end(error: BeamgateError): void {
    if (!this.#topic) return;
    this.#topic = undefined;
    this.onClosed?.();
    this.subscriber.onEnd(error);
  }

  /** Ends the subscription from outside (access withdrawn): the topic is let go and the subscriber told why. */
  revoke(error: BeamgateError): void {
    const topic = this.#topic;
    if (!topic) return;
    this.#topic = undefined;
    this.#release(this, topic);
    this.onClosed?.();
    this.subscriber.onEnd(error);
  }

  #open(): Topic {
    if (!this.#topic) throw new Error("subscription is closed");
    return this.#topic;
  }
}
