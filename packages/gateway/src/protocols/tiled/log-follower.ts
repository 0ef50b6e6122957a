/**
 * One subscriber's place in a dataset node's log, shared by the Tiled socket and the native
 * protocol: the records from `start` (replayed from disk, 0 or 1: all) and then live ones, in
 * order, with nothing missing or repeated between the two. While the subscriber lags, delivery
 * pauses, and `resume()` (on drain) carries on from the log on disk: a slow subscriber loses
 * nothing and holds no queue of its own.
 *
 * The end record (the producer's close, or the node's deletion) is delivered like any record, also
 * to a subscriber that comes or resumes after it (`start` past it: a client resuming at last+1).
 * A node deleted while its subscriber was paused, or a log that failed, is `gone`. Records asked
 * for (`start`, or where a paused subscriber was) that the log no longer holds (dropped by its
 * retention) are `expired`, and delivery goes on from the first one it holds.
 */
import type { DatasetNode } from "../../datasets/catalog.js";
import type { DatasetStore } from "../../datasets/datasets.js";
import type { LogPlace, LogRecord, NodeLog } from "../../datasets/node-log.js";

export interface FollowerSink {
  /** Whether the subscriber is behind (its connection lags): delivery pauses until `resume()`. */
  lagging(): boolean;
  /** The next record. Must not throw. */
  deliver(record: LogRecord): void;
  /** Records `from`..`to`, asked for, are no longer in the log: the next delivered is `to + 1`. */
  expired(from: number, to: number): void;
  /**
   * Nothing more will come: the node was deleted while delivery was paused (what it published
   * since is gone with it), or its log failed (`lost`: the live feed is lost until a restart).
   */
  gone(reason: "deleted" | "lost", error?: Error): void;
}

export class LogFollower {
  readonly #store: DatasetStore;
  readonly #node: DatasetNode;
  readonly #sink: FollowerSink;
  #stop: (() => void) | undefined;
  /** While paused, the next sequence to deliver on resume, and its place in the log when known. */
  #pausedAt: number | undefined;
  #pausedPlace: LogPlace | undefined;
  /** The last sequence delivered. */
  #delivered = 0;
  #done = false;

  constructor(store: DatasetStore, node: DatasetNode, start: number | undefined, sink: FollowerSink) {
    this.#store = store;
    this.#node = node;
    this.#sink = sink;
    const log = store.log(node);
    if (start !== undefined && start >= 1 && start < log.first) sink.expired(start, log.first - 1);
    let stop: () => void;
    try {
      // The replay, read only as far as the subscriber takes it (it may pause at once), then live,
      // in one synchronous step: nothing is published in between.
      if (start !== undefined) this.#read(log, Math.max(1, start), undefined);
      stop = log.follow(
        (record) => this.#onRecord(record),
        (error) => this.#gone("lost", error),
      );
    } catch (e) {
      // The replay could not be read from disk.
      this.#gone("lost", e as Error);
      return;
    }
    if (this.#done) {
      stop();
      return;
    }
    this.#stop = stop;
    // Ended before this subscriber came, the end not in its replay: it ends now.
    const end = log.endRecord;
    if (end && this.#delivered < end.sequence && this.#pausedAt === undefined) this.#deliver(end);
  }

  get paused(): boolean {
    return this.#pausedAt !== undefined;
  }

  /** Delivers what the paused subscriber missed, from the node's log, until it lags again. */
  resume(): void {
    const from = this.#pausedAt;
    if (from === undefined || this.#done) return;
    this.#pausedAt = undefined;
    // Deleted meanwhile: its log is gone with it (this runs on drain, where nothing may throw).
    if (this.#store.isDeleted(this.#node)) {
      this.#gone("deleted");
      return;
    }
    const place = this.#pausedPlace;
    this.#pausedPlace = undefined;
    try {
      const log = this.#store.log(this.#node);
      if (from < log.first) this.#sink.expired(from, log.first - 1);
      this.#read(log, from, place);
    } catch (e) {
      this.#gone("lost", e as Error);
    }
  }

  /** Stops following (the subscriber left, or took the end). */
  stop(): void {
    this.#done = true;
    this.#stop?.();
    this.#stop = undefined;
  }

  /** Delivers records from the log, from `from`, until the subscriber lags (pausing there). */
  #read(log: NodeLog, from: number, place: LogPlace | undefined): void {
    for (const { record, place: at } of log.placed(from, place)) {
      if (this.#done) return;
      if (!record.end && this.#sink.lagging()) {
        this.#pausedAt = record.sequence;
        this.#pausedPlace = at;
        return;
      }
      this.#deliver(record);
    }
  }

  #onRecord(record: LogRecord): void {
    if (this.#pausedAt !== undefined || this.#done) return;
    if (!record.end && this.#sink.lagging()) {
      this.#pausedAt = record.sequence;
      return;
    }
    this.#deliver(record);
  }

  #deliver(record: LogRecord): void {
    this.#delivered = record.sequence;
    if (record.end) this.stop();
    this.#sink.deliver(record);
  }

  #gone(reason: "deleted" | "lost", error?: Error): void {
    if (this.#done) return;
    this.stop();
    this.#sink.gone(reason, error);
  }
}
