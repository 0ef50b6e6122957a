/**
 * The frames of one feed under one normalization (log or linear): each array is encoded once for
 * every client of the lane. One encoding runs at a time; an array arriving meanwhile waits, and a
 * newer one replaces it, so a slow encoder drops frames rather than queueing them. A frame encoded
 * under settings that have changed since is dropped (its size would contradict the settings frame
 * the clients just got).
 */
import type { DataEvent } from "../../../core/events.js";
import type { Outgoing } from "../../../transport/outgoing.js";

/** A socket watching a feed. */
export interface CameraClient {
  /** A text frame (settings); always sent. */
  sendText(message: Outgoing): void;
  /** A JPEG; while the connection lags only the newest waits. */
  sendFrame(frame: Outgoing): void;
  /** The feed cannot go on: tell the client and close. */
  fail(error: string): void;
}

/** What a lane needs of its feed. */
export interface LaneHost {
  /** Incremented whenever the settings change. */
  readonly generation: number;
  /** The array as a JPEG under the current settings, or undefined if it cannot be shown. */
  render(event: DataEvent, log: boolean): Promise<Buffer | undefined>;
}

interface Encoded {
  readonly event: DataEvent;
  readonly generation: number;
  readonly frame: Outgoing;
}

export class Lane {
  readonly log: boolean;
  readonly clients = new Set<CameraClient>();
  readonly #host: LaneHost;
  #running: Omit<Encoded, "frame"> | undefined;
  #pending: DataEvent | undefined;
  #latest: Encoded | undefined;

  constructor(log: boolean, host: LaneHost) {
    this.log = log;
    this.#host = host;
  }

  /** A new array for every client of the lane. */
  submit(event: DataEvent): void {
    if (this.#running) this.#pending = event;
    else void this.#run(event);
  }

  /** Gives a client joining the lane the frame of `event` (the feed's latest array). */
  catchUp(client: CameraClient, event: DataEvent | undefined): void {
    if (!event) return;
    const generation = this.#host.generation;
    const latest = this.#latest;
    if (latest?.event === event && latest.generation === generation) {
      client.sendFrame(latest.frame);
      return;
    }
    const running = this.#running;
    const underway = this.#pending === event || (running?.event === event && running.generation === generation);
    if (!underway) this.submit(event); // an encoding underway reaches every client of the lane
  }

  async #run(event: DataEvent): Promise<void> {
    const generation = this.#host.generation;
    this.#running = { event, generation };
    try {
      const jpeg = await this.#host.render(event, this.log);
      if (jpeg && generation === this.#host.generation) {
        const frame: Outgoing = { binary: true, chunks: [jpeg], bytes: jpeg.length };
        this.#latest = { event, generation, frame };
        for (const client of this.clients) client.sendFrame(frame);
      }
    } finally {
      this.#running = undefined;
      const next = this.#pending;
      this.#pending = undefined;
      if (next && this.clients.size > 0) void this.#run(next);
    }
  }
}
