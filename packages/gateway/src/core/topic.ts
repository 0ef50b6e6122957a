/**
 * One topic in the hub: the upstream it holds open, what it caches (status, metadata, the last
 * value of a state topic, the retained window of a log topic), its sequence numbers and epoch,
 * and its subscriptions. Delivery is synchronous and in the order the source reported.
 */
import { randomBytes } from "node:crypto";
import { BeamgateError } from "../errors.js";
import { DataEvent, MetaEvent, StatusEvent, type TopicEvent, type TopicInfo } from "./events.js";
import { LogWindow } from "./log-window.js";
import type { TopicSink, Upstream } from "./source.js";
import type { Subscriber, Subscription } from "./subscription.js";
import { DISCONNECTED, type Meta, type Sample, type Status, sameSample, valueBytes } from "./values.js";

export interface WindowBounds {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

export class Topic implements TopicSink, TopicInfo {
  readonly uri: string;
  /** Changes whenever this topic's history restarts (a new Topic object is a new history). */
  readonly epoch = randomBytes(6).toString("base64url");
  readonly subscriptions = new Set<Subscription>();
  upstream: Upstream | undefined;
  lingerTimer: NodeJS.Timeout | undefined;

  #status: StatusEvent;
  #meta: MetaEvent | undefined;
  #last: DataEvent | undefined;
  #window: LogWindow | undefined;
  #nextSequence = 1;
  #previousSample: Sample | undefined;
  #failed: BeamgateError | undefined;
  readonly #bounds: WindowBounds;
  readonly #onFail: (topic: Topic) => void;
  readonly #statusWaiters = new Set<() => void>();

  constructor(uri: string, bounds: WindowBounds, onFail: (topic: Topic) => void) {
    this.uri = uri;
    this.#status = new StatusEvent(this, DISCONNECTED);
    this.#bounds = bounds;
    this.#onFail = onFail;
  }

  get currentStatus(): Status {
    return this.#status.status;
  }

  get kind(): "state" | "log" {
    return this.#meta?.meta.kind ?? "state";
  }

  get failed(): BeamgateError | undefined {
    return this.#failed;
  }

  /** The sequence the next data event will carry. */
  get nextSequence(): number {
    return this.#nextSequence;
  }

  // --- TopicSink: called by the source ---

  meta(meta: Meta): void {
    if (this.#failed) return;
    if (this.#meta && this.#meta.meta.kind !== meta.kind) {
      this.fail(
        new BeamgateError(
          "BG_ERR_TOPIC_FAILED",
          `${this.uri} changed from a ${this.#meta.meta.kind} to a ${meta.kind} topic`,
        ),
      );
      return;
    }
    if (meta.kind === "log" && !this.#window) {
      this.#window = new LogWindow(this.#bounds.maxRecords, this.#bounds.maxBytes);
    }
    this.#meta = new MetaEvent(this, meta);
    this.#fanOut(this.#meta);
  }

  status(status: Status): void {
    if (this.#failed) return;
    const s = this.#status.status;
    if (
      s.connected === status.connected &&
      s.readAccess === status.readAccess &&
      s.writeAccess === status.writeAccess
    ) {
      return;
    }
    this.#status = new StatusEvent(this, status);
    this.#fanOut(this.#status);
    for (const wake of this.#statusWaiters) wake();
  }

  data(sample: Sample): void {
    if (this.#failed) return;
    const previous = this.#previousSample;
    const same = previous !== undefined && sameSample(previous, sample);
    const event = new DataEvent(this, this.#nextSequence++, sample, valueBytes(sample.value), same);
    this.#previousSample = sample;
    if (this.#window) this.#window.push(event);
    else this.#last = event;
    this.#fanOut(event);
  }

  fail(error: BeamgateError): void {
    if (this.#failed) return;
    this.#failed = error;
    for (const wake of this.#statusWaiters) wake();
    this.#onFail(this);
  }

  // --- used by the hub ---

  /**
   * Adds a subscriber and brings it up to date: status, metadata, then the last value (state) or
   * the retained records from `start` (log). `epoch` is the epoch the client's `start` refers to.
   */
  attach(subscription: Subscription, start?: number, epoch?: string): void {
    this.subscriptions.add(subscription);
    const subscriber = subscription.subscriber;
    subscriber.onEvent(this.#status);
    if (this.#meta) subscriber.onEvent(this.#meta);
    if (!this.#window) {
      if (this.#last) subscriber.onEvent(this.#last);
      return;
    }
    if (start === undefined) return;
    for (const event of this.replay(subscriber, start, epoch)) subscriber.onEvent(event);
  }

  /**
   * Retained records from `start` on, telling the subscriber first about any part of what it asked
   * for that is gone. Used on subscribe and to resume a paused subscription.
   */
  replay(subscriber: Subscriber, start: number, epoch?: string): DataEvent[] {
    const window = this.#window;
    if (!window) return [];
    let from = Math.max(1, start);
    if (epoch !== undefined && epoch !== this.epoch) {
      subscriber.onGap?.({ reason: "epoch_changed", from });
      from = 1;
    }
    const first = window.firstSequence ?? this.#nextSequence;
    if (from < first) subscriber.onGap?.({ reason: "expired", from, to: first - 1 });
    return window.from(from);
  }

  /** Resolves once the topic is connected or failed, or after `timeoutMs`. */
  waitForConnection(timeoutMs: number): Promise<void> {
    if (this.currentStatus.connected || this.#failed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (!this.currentStatus.connected && !this.#failed) return;
        clearTimeout(timer);
        this.#statusWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#statusWaiters.delete(done);
        resolve();
      }, timeoutMs);
      this.#statusWaiters.add(done);
    });
  }

  #fanOut(event: TopicEvent): void {
    for (const subscription of this.subscriptions) subscription.subscriber.onEvent(event);
  }
}
