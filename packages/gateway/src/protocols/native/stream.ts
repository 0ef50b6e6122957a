/**
 * One subscription of a native-protocol connection: receives the topic's events from the hub and
 * sends them under its id. State values may be conflated while the connection lags; a log stream
 * instead pauses, and resumes from the topic's retained window once the connection drains.
 */
import type { Gap, TopicEvent } from "../../core/events.js";
import type { Subscriber, Subscription } from "../../core/subscription.js";
import type { BeamgateError } from "../../errors.js";
import type { Connection } from "../../transport/connection.js";
import type { ConflationKey, Outgoing } from "../../transport/outgoing.js";
import { gapFields, sharedEvent } from "./encode.js";
import type { Envelope, Fields } from "./envelope.js";
import type { MessageId } from "./messages.js";

/** Status and metadata changes held in order while a log stream is paused. */
const MAX_HELD = 32;

export class Stream implements Subscriber, ConflationKey {
  readonly id: MessageId;
  subscription: Subscription | undefined;
  queued: object | undefined;
  readonly #connection: Connection;
  readonly #envelope: Envelope;
  readonly #idPrefix: Uint8Array;
  readonly #conflate: boolean;
  readonly #onEnd: (stream: Stream) => void;
  /** While paused (log topics), the next sequence to send on resume. */
  #pausedAt: number | undefined;
  /** Status and metadata that arrived while paused, with the sequence they must precede. */
  #held: Array<{ readonly event: TopicEvent; readonly before: number }> = [];

  constructor(
    id: MessageId,
    connection: Connection,
    envelope: Envelope,
    conflate: boolean,
    onEnd: (stream: Stream) => void,
  ) {
    this.id = id;
    this.#connection = connection;
    this.#envelope = envelope;
    this.#idPrefix = envelope.idPrefix(id);
    this.#conflate = conflate;
    this.#onEnd = onEnd;
  }

  get paused(): boolean {
    return this.#pausedAt !== undefined;
  }

  onEvent(event: TopicEvent): void {
    const log = event.topic.kind === "log";
    if (log && this.#pausedAt !== undefined) {
      // Records wait in the topic's window; status and metadata wait here, in their place.
      if (event.kind !== "data") {
        this.#held.push({ event, before: event.topic.nextSequence });
        // Bounded: past the limit only the latest status and metadata are kept.
        if (this.#held.length > MAX_HELD) {
          this.#held = this.#held.filter(
            (h, i) => !this.#held.slice(i + 1).some((later) => later.event.kind === h.event.kind),
          );
        }
      }
      return;
    }
    if (log && event.kind === "data" && this.#connection.lagging) {
      this.#pausedAt = event.sequence;
      return;
    }
    this.#write(event);
  }

  #write(event: TopicEvent): void {
    const log = event.topic.kind === "log";
    const message = this.#envelope.withId(this.#idPrefix, sharedEvent(event, this.#envelope));
    if (event.kind === "data" && !log && this.#conflate) this.#connection.sendLatest(this, event.sequence, message);
    else this.#connection.send(message);
  }

  onGap(gap: Gap): void {
    this.#send(gapFields(gap));
  }

  onEnd(error: BeamgateError): void {
    this.#send({ type: "error", code: error.code, message: error.message });
    this.#onEnd(this);
  }

  skippedNotice(from: number, to: number): Outgoing {
    return this.#envelope.withId(this.#idPrefix, this.#envelope.shared(gapFields({ reason: "conflated", from, to })));
  }

  /** Sends what a paused log stream missed, from the retained window, until the connection lags again. */
  resume(): void {
    const subscription = this.subscription;
    const from = this.#pausedAt;
    if (subscription === undefined || subscription.closed || from === undefined) return;
    this.#pausedAt = undefined;
    for (const event of subscription.replayFrom(from)) {
      if (this.#connection.lagging) {
        this.#pausedAt = event.sequence;
        return;
      }
      this.#releaseHeld(event.sequence);
      this.#write(event);
    }
    this.#releaseHeld(Number.POSITIVE_INFINITY);
  }

  /** Sends the held status and metadata that came before record `sequence`. */
  #releaseHeld(sequence: number): void {
    while (this.#held.length > 0 && (this.#held[0]?.before as number) <= sequence) {
      this.#write((this.#held.shift() as { event: TopicEvent }).event);
    }
  }

  #send(fields: Fields): void {
    this.#connection.send(this.#envelope.withId(this.#idPrefix, this.#envelope.shared(fields)));
  }
}
