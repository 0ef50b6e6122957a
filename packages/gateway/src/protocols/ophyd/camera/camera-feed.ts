/**
 * One camera view shared by every socket that names the same PVs: the hub topics are subscribed
 * once, the settings frame is computed once, and each array is normalized and encoded once per
 * normalization in use (a `Lane` each), however many clients watch.
 *
 * Sockets `hold` the feed while they wait for it to be ready and while they stream; the last
 * `release` closes it. If a PV's topic ends (hub shutdown, source failure), every streaming client
 * is told and closed, and the feed is dropped so that a new socket starts afresh.
 */
import type { DataEvent, TopicEvent } from "../../../core/events.js";
import type { Hub } from "../../../core/hub.js";
import { asBeamgateError } from "../../../errors.js";
import type { Logger } from "../../../log.js";
import { type Outgoing, textMessage } from "../../../transport/outgoing.js";
import { type ImageSettings, imageSettings, type SettingValue, settingsText } from "./image-settings.js";
import { type CameraClient, Lane, type LaneHost } from "./lane.js";
import { type FrameRenderer, FrameSkipped } from "./renderer.js";
import { type CameraPvs, SETTING_KEYS, type SettingKey } from "./settings.js";
import { TopicWatch } from "./topic-watch.js";

/** A skipped frame's warning is not repeated within this time unless the reason changes. */
const WARN_AGAIN_MS = 10_000;

interface Waiter {
  readonly resolve: (error: string | undefined) => void;
  readonly timer: NodeJS.Timeout;
  readonly timeoutMs: number;
}

export class CameraFeed implements LaneHost {
  readonly pvs: CameraPvs;
  /** Counters, for tests and benchmarks: arrays received, frames encoded, frames skipped. */
  arrays = 0;
  encodes = 0;
  skipped = 0;
  generation = 0;
  readonly #renderer: FrameRenderer;
  readonly #log: Logger;
  readonly #onClose: (feed: CameraFeed) => void;
  readonly #image: TopicWatch;
  readonly #settingWatches: Readonly<Record<SettingKey, TopicWatch>>;
  readonly #clients = new Map<CameraClient, Lane>();
  readonly #lanes = new Map<boolean, Lane>();
  readonly #waiters = new Set<Waiter>();
  #settings: { readonly value: ImageSettings; readonly json: string; readonly text: Outgoing } | undefined;
  #holders = 0;
  #closed = false;
  #warned: { readonly reason: string; readonly at: number } | undefined;

  constructor(hub: Hub, pvs: CameraPvs, renderer: FrameRenderer, log: Logger, onClose: (feed: CameraFeed) => void) {
    this.pvs = pvs;
    this.#renderer = renderer;
    this.#log = log;
    this.#onClose = onClose;
    const changed = (watch: TopicWatch, event: TopicEvent | undefined) => this.#changed(watch, event);
    this.#image = new TopicWatch(pvs.imageArray, changed);
    this.#settingWatches = Object.fromEntries(
      SETTING_KEYS.map((key) => [key, new TopicWatch(pvs[key], changed)]),
    ) as Record<SettingKey, TopicWatch>;
    for (const watch of this.#watches()) {
      try {
        watch.subscription = hub.subscribe(watch.pv, watch);
      } catch (e) {
        watch.ended = asBeamgateError(e, "BG_ERR_TOPIC_FAILED");
      }
    }
  }

  hold(): void {
    this.#holders++;
  }

  release(): void {
    if (--this.#holders <= 0) this.#close();
  }

  /**
   * Resolves once every PV is connected with a value (undefined), or with the setup error the real
   * server would send, in its order (settings first, then the array), after `timeoutMs`.
   */
  whenReady(timeoutMs: number): Promise<string | undefined> {
    if (this.#allReady()) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        timeoutMs,
        timer: setTimeout(() => this.#settle(waiter, this.#setupError(timeoutMs)), timeoutMs),
      };
      this.#waiters.add(waiter);
      this.#checkWaiters();
    });
  }

  /** A client starts streaming: the settings frame, then the current image. */
  join(client: CameraClient, log: boolean): void {
    if (this.#settings) client.sendText(this.#settings.text);
    this.setLog(client, log);
  }

  /** Moves a client to the log or linear lane, and sends it the current image as that lane shows it. */
  setLog(client: CameraClient, log: boolean): void {
    const before = this.#clients.get(client);
    if (before?.log === log) return;
    if (before) this.#leaveLane(client, before);
    let lane = this.#lanes.get(log);
    if (!lane) {
      lane = new Lane(log, this);
      this.#lanes.set(log, lane);
    }
    lane.clients.add(client);
    this.#clients.set(client, lane);
    if (this.#settings) lane.catchUp(client, this.#image.last);
  }

  leave(client: CameraClient): void {
    const lane = this.#clients.get(client);
    if (!lane) return;
    this.#clients.delete(client);
    this.#leaveLane(client, lane);
  }

  async render(event: DataEvent, log: boolean): Promise<Buffer | undefined> {
    const settings = this.#settings?.value;
    if (!settings || this.#closed) return undefined;
    try {
      const jpeg = await this.#renderer.render(event.sample.value, settings, log);
      this.encodes++;
      return jpeg;
    } catch (e) {
      if (this.#renderer.closed) return undefined;
      this.skipped++;
      this.#warn(e instanceof FrameSkipped ? e.message : `encoding failed: ${(e as Error).message}`);
      return undefined;
    }
  }

  /**
   * A lane stays for the feed's lifetime, even empty: a client toggling back and forth then finds
   * the lane with its encoding underway, rather than a new lane starting one more (at most one
   * encoding runs and one array waits per lane, so the work and memory a client can cause are bounded).
   */
  #leaveLane(client: CameraClient, lane: Lane): void {
    lane.clients.delete(client);
  }

  *#watches(): Iterable<TopicWatch> {
    yield* Object.values(this.#settingWatches);
    yield this.#image;
  }

  #allReady(): boolean {
    for (const watch of this.#watches()) if (!watch.ready) return false;
    return true;
  }

  #changed(watch: TopicWatch, event: TopicEvent | undefined): void {
    if (this.#closed) return;
    if (!event) {
      this.#ended(watch);
      return;
    }
    if (watch === this.#image) {
      if (event.kind === "data") this.#newArray(event);
    } else if (event.kind !== "status") this.#updateSettings();
    this.#checkWaiters();
  }

  #newArray(event: DataEvent): void {
    this.arrays++;
    if (!this.#settings) return;
    for (const lane of this.#lanes.values()) if (lane.clients.size > 0) lane.submit(event);
  }

  /** Recomputes the settings frame; clients get it only when it changed. */
  #updateSettings(): void {
    const values = {} as Record<SettingKey, SettingValue>;
    for (const key of SETTING_KEYS) {
      const watch = this.#settingWatches[key];
      if (!watch.ready || !watch.last) return;
      values[key] = { value: watch.last.sample.value, meta: watch.meta };
    }
    const value = imageSettings(values);
    const json = settingsText(value);
    if (this.#settings?.json === json) return;
    this.#settings = { value, json, text: textMessage(json) };
    this.generation++;
    for (const client of this.#clients.keys()) client.sendText(this.#settings.text);
  }

  #checkWaiters(): void {
    if (this.#waiters.size === 0) return;
    if (this.#allReady()) {
      for (const waiter of this.#waiters) this.#settle(waiter, undefined);
      return;
    }
    // Nothing more can come if every PV still missing has ended: fail now rather than at the deadline.
    const missing = [...this.#watches()].filter((w) => !w.ready);
    if (missing.every((w) => w.ended)) for (const w of this.#waiters) this.#settle(w, this.#setupError(w.timeoutMs));
  }

  #settle(waiter: Waiter, error: string | undefined): void {
    if (!this.#waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    waiter.resolve(error);
  }

  /** The first PV in the real server's order that is not usable, worded as the real server words it. */
  #setupError(timeoutMs: number): string {
    const seconds = (timeoutMs / 1000).toFixed(2);
    for (const key of SETTING_KEYS) {
      const watch = this.#settingWatches[key];
      if (watch.ready) continue;
      return watch.status.connected
        ? `${key} pv could not connect`
        : `Failed to connect to ${watch.pv} within ${seconds} sec`;
    }
    const image = this.#image;
    if (!image.ready && image.status.connected) return `The ${image.pv} pv could not connect`;
    return `Failed to connect to ${image.pv} within ${seconds} sec`;
  }

  /** A topic ended under the feed: its clients cannot be served any more. */
  #ended(watch: TopicWatch): void {
    this.#checkWaiters();
    if (this.#clients.size === 0) return;
    const error = `The ${watch.pv} pv could not connect: ${watch.ended?.message ?? "ended"}`;
    this.#onClose(this); // new sockets get a fresh feed
    for (const client of [...this.#clients.keys()]) client.fail(error);
  }

  #warn(reason: string): void {
    const now = Date.now();
    if (this.#warned?.reason === reason && now - this.#warned.at < WARN_AGAIN_MS) return;
    this.#warned = { reason, at: now };
    this.#log.warn({ pv: this.pvs.imageArray }, `camera-socket: frame skipped: ${reason}`);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const watch of this.#watches()) watch.close();
    for (const waiter of this.#waiters) this.#settle(waiter, "closed");
    this.#clients.clear();
    this.#lanes.clear();
    this.#onClose(this);
  }
}
