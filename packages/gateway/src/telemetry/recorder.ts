/**
 * Records hub topics (EPICS PVs, simulated PVs, any scheme) into a telemetry session as timestamped
 * f64 channels, so any RTA client can follow a beamline. The session's config is generated from
 * the topics' metadata (units, display limits, precision) once every topic reported it (or after
 * `metaWaitMs`), and bound to the session. Samples are appended every `flushMs`; a sample whose
 * time does not move past the channel's previous one is moved 1 ns after it (bursts of a channel
 * may not overlap). Only numeric scalars are recorded (enums as their index). The topics are read
 * with the rights of whoever created the session, checked again at every flush against the
 * current rules: a topic no longer readable stops being recorded.
 */

import { createHash } from "node:crypto";
import { create, encodeSamples, encodeTimestamps, TimestampedDataSchema } from "@beamgate/rta";
import type { ScopedHub } from "../core/scoped-hub.js";
import type { Subscription } from "../core/subscription.js";
import type { Meta } from "../core/values.js";
import type { Logger } from "../log.js";
import { isLive } from "./session.js";
import type { TelemetryStore } from "./telemetry.js";

export interface RecorderOptions {
  readonly flushMs: number;
  readonly metaWaitMs: number;
}

interface Channel {
  readonly id: number;
  readonly topic: string;
  meta: Meta | undefined;
  subscription: Subscription | undefined;
  times: bigint[];
  values: number[];
  last: bigint;
}

/** Samples a channel holds while its config is not yet bound; the oldest go past it. */
const MAX_PENDING_SAMPLES = 100_000;

class Recording {
  readonly channels: Channel[] = [];
  /** The config is being bound (`binding`), or is bound (`bound`). */
  binding = false;
  bound = false;
  hub: ScopedHub | undefined;
  timer: NodeJS.Timeout | undefined;
  waitTimer: NodeJS.Timeout | undefined;
  stopFollowing: (() => void) | undefined;
  flushing: Promise<void> = Promise.resolve();

  constructor(readonly identity: string) {}
}

export class Recorder {
  readonly #store: TelemetryStore;
  readonly #log: Logger;
  readonly #options: RecorderOptions;
  readonly #recordings = new Map<string, Recording>();

  constructor(store: TelemetryStore, log: Logger, options: RecorderOptions) {
    this.#store = store;
    this.#log = log;
    this.#options = options;
    store.beforeEnd((identity) => this.#flush(identity));
  }

  /** Starts recording `topics` into the (live) session `identity`, read through `hub`. */
  start(identity: string, topics: readonly string[], hub: ScopedHub): void {
    const recording = new Recording(identity);
    recording.hub = hub;
    this.#recordings.set(identity, recording);
    const offset = nextChannelId(this.#store, identity);
    // Every channel exists before the first subscription, which may report metadata at once.
    for (const [i, topic] of topics.entries()) {
      recording.channels.push({
        id: offset + i,
        topic,
        meta: undefined,
        subscription: undefined,
        times: [],
        values: [],
        last: -1n,
      });
    }
    for (const channel of recording.channels) {
      channel.subscription = hub.subscribe(channel.topic, {
        onEvent: (event) => {
          if (event.kind === "meta") {
            channel.meta = event.meta;
            if (recording.channels.every((c) => c.meta)) this.#bind(recording, offset);
          } else if (event.kind === "data") {
            const v = event.sample.value;
            if (typeof v !== "number") return;
            let t = BigInt(Math.round(event.sample.timestamp * 1e6));
            if (t <= channel.last) t = channel.last + 1n;
            channel.last = t;
            channel.times.push(t);
            channel.values.push(v);
            if (channel.times.length > MAX_PENDING_SAMPLES) {
              channel.times.splice(0, MAX_PENDING_SAMPLES / 10);
              channel.values.splice(0, MAX_PENDING_SAMPLES / 10);
            }
          }
        },
        onEnd: (error) =>
          this.#log.warn({ session: identity, topic: channel.topic, code: error.code }, "recorded topic ended"),
      });
    }
    recording.waitTimer = setTimeout(() => this.#bind(recording, offset), this.#options.metaWaitMs);
    recording.timer = setInterval(() => void this.#flush(identity), this.#options.flushMs);
    recording.stopFollowing = this.#store.follow(identity, {
      onSession: (session) => {
        if (!isLive(session.state)) this.#stop(recording);
      },
    });
  }

  /** Stops every recording (the gateway is stopping). */
  async close(): Promise<void> {
    await Promise.all([...this.#recordings.keys()].map((id) => this.#flush(id)));
    for (const r of [...this.#recordings.values()]) this.#stop(r);
  }

  /** Publishes and binds the generated config (once); a recording that cannot be bound stops. */
  #bind(recording: Recording, offset: number): void {
    if (recording.binding) return;
    recording.binding = true;
    clearTimeout(recording.waitTimer);
    const identifier = recordingConfigId(recording.identity);
    const config = {
      beamgate: {
        channels: recording.channels.map((c) => ({
          id: c.id - offset,
          name: c.topic,
          source: "timestamped",
          type: "f64",
        })),
        parameters: recording.channels.map((c) => ({
          name: c.topic,
          ...(c.meta?.units ? { unit: c.meta.units } : {}),
          ...(c.meta?.display ? { min: c.meta.display.low, max: c.meta.display.high } : {}),
          ...(c.meta?.precision !== undefined ? { format: `%.${c.meta.precision}f` } : {}),
          ...(c.meta?.description ? { description: c.meta.description } : {}),
          channels: [c.id - offset],
        })),
      },
    };
    const failed = (e: unknown) => {
      this.#log.error({ err: e, session: recording.identity }, "cannot bind the recording's config: recording stops");
      this.#stop(recording);
    };
    try {
      this.#store.publishConfig(identifier, config);
      this.#store
        .updateSession(recording.identity, { configBindings: [{ identifier, channelOffset: offset }] })
        .then(() => {
          recording.bound = true;
        }, failed);
    } catch (e) {
      failed(e);
    }
  }

  /** Appends what the channels gathered (once the config is bound). Serialized per recording. */
  #flush(identity: string): Promise<void> {
    const recording = this.#recordings.get(identity);
    if (!recording) return Promise.resolve();
    recording.flushing = recording.flushing.then(async () => {
      if (!recording.bound) return;
      const items = [];
      for (const c of recording.channels) {
        if (c.subscription && recording.hub && !recording.hub.may("read", c.topic)) {
          this.#log.warn(
            { session: identity, topic: c.topic },
            "recorded topic no longer readable: not recorded any more",
          );
          c.subscription.close();
          c.subscription = undefined;
        }
        for (let i = 0; i < c.times.length; i += 10_000) {
          const times = c.times.slice(i, i + 10_000);
          const { start, scale, deltas } = encodeTimestamps(times);
          items.push(
            create(TimestampedDataSchema, {
              channelId: c.id,
              startTimestamp: start,
              timestampDeltasScale: scale,
              timestampDeltas: deltas,
              buffer: encodeSamples("f64", c.values.slice(i, i + 10_000)),
            }),
          );
        }
        c.times = [];
        c.values = [];
      }
      if (items.length === 0) return;
      try {
        await this.#store.append(identity, { kind: "timestamped", items });
      } catch (e) {
        this.#log.error({ err: e, session: identity }, "cannot append recorded samples");
      }
    });
    return recording.flushing;
  }

  #stop(recording: Recording): void {
    clearInterval(recording.timer);
    clearTimeout(recording.waitTimer);
    recording.stopFollowing?.();
    for (const c of recording.channels) c.subscription?.close();
    this.#recordings.delete(recording.identity);
  }
}

/** The generated config's identifier: `<identity>-recording`, or a hash where that would be too long. */
function recordingConfigId(identity: string): string {
  const id = `${identity}-recording`;
  return id.length <= 128 ? id : `recording-${createHash("sha256").update(identity).digest("hex").slice(0, 32)}`;
}

/** The first channel id after those the session's bindings already give. */
function nextChannelId(store: TelemetryStore, identity: string): number {
  let next = 0;
  for (const id of store.session(identity).channels.channels.keys()) next = Math.max(next, id + 1);
  return next;
}
