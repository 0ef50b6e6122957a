/**
 * Events a topic delivers to its subscribers. One event object is shared by every subscriber, and
 * each protocol encodes it at most once per wire format through `encoded()`.
 */
import type { Meta, Sample, Status } from "./values.js";

/** The identity of the topic an event belongs to, which encoders may include in shared bytes. */
export interface TopicInfo {
  readonly uri: string;
  readonly epoch: string;
  readonly kind: "state" | "log";
  /** The sequence the topic's next data event will carry. */
  readonly nextSequence: number;
}

abstract class SharedEvent {
  #encoded: Map<string, unknown> | undefined;

  constructor(readonly topic: TopicInfo) {}

  /** The encoding of this event under `format`, computed by `encode` the first time only. */
  encoded<T>(format: string, encode: (event: this) => T): T {
    this.#encoded ??= new Map();
    let bytes = this.#encoded.get(format) as T | undefined;
    if (bytes === undefined) {
      bytes = encode(this);
      this.#encoded.set(format, bytes);
    }
    return bytes;
  }
}

export class MetaEvent extends SharedEvent {
  readonly kind = "meta";
  constructor(
    topic: TopicInfo,
    readonly meta: Meta,
  ) {
    super(topic);
  }
}

export class StatusEvent extends SharedEvent {
  readonly kind = "status";
  constructor(
    topic: TopicInfo,
    readonly status: Status,
  ) {
    super(topic);
  }
}

export class DataEvent extends SharedEvent {
  readonly kind = "data";
  constructor(
    topic: TopicInfo,
    /** Per topic and epoch, from 1, +1 per event. */
    readonly sequence: number,
    readonly sample: Sample,
    /** Approximate size, for window accounting. */
    readonly bytes: number,
    /** Whether value and alarm equal those of the topic's previous data event (compared once, here). */
    readonly sameAsPrevious = false,
  ) {
    super(topic);
  }
}

export type TopicEvent = MetaEvent | StatusEvent | DataEvent;

/** A range of sequence numbers a subscriber asked for (or would have had) but will not get. */
export interface Gap {
  /**
   * `expired`: no longer retained; `epoch_changed`: the history the client knew is gone and
   * sequences restarted; `conflated`: intermediate values of a state topic were replaced by newer ones.
   */
  readonly reason: "expired" | "epoch_changed" | "conflated";
  /** First missing sequence (inclusive). */
  readonly from: number;
  /** Last missing sequence (inclusive); absent for `epoch_changed`, where all of the old history is gone. */
  readonly to?: number;
}
