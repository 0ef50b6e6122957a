/**
 * The `rta://` source: each channel of a telemetry session is a log topic, `rta://<identity>/<channel>`
 * (the channel by its decimal id or its name), one record per sample. So beamgate's own clients
 * follow a session's channels on the native protocol, with sequence numbers and replay.
 */
import type { Source, TopicSink, Upstream } from "../../core/source.js";
import { type Meta, NO_ALARM } from "../../core/values.js";
import { BeamgateError } from "../../errors.js";
import type { SessionChannel } from "../../telemetry/config.js";
import { samplesOf } from "../../telemetry/samples.js";
import { isLive } from "../../telemetry/session.js";
import type { TelemetryStore } from "../../telemetry/telemetry.js";

export class RtaSource implements Source {
  readonly scheme = "rta";
  readonly #store: TelemetryStore;

  constructor(store: TelemetryStore) {
    this.#store = store;
  }

  resolve(path: string): string {
    const slash = path.indexOf("/");
    if (slash <= 0 || slash === path.length - 1) {
      throw new BeamgateError("BG_ERR_TOPIC_INVALID", `rta://${path}: expected rta://<session identity>/<channel>`);
    }
    const identity = path.slice(0, slash);
    return `${identity}/${this.#channel(identity, path.slice(slash + 1)).id}`;
  }

  /** A channel is read under its session's rights too (`rta://<identity>`), as REST and the stream are. */
  governedBy(path: string): readonly string[] {
    return [`rta://${path.slice(0, path.indexOf("/"))}`];
  }

  open(path: string, sink: TopicSink): Upstream {
    const [identity = "", id = ""] = path.split("/");
    const channel = this.#channel(identity, id);
    const stored = this.#store.session(identity);
    sink.meta(metaOf(channel));
    sink.status({ connected: isLive(stored.session.state), readAccess: true, writeAccess: false });
    const stop = this.#store.follow(identity, {
      onData: (records) => {
        for (const p of records) {
          if (!p.record.channelIds.includes(channel.id)) continue;
          const { values, times } = p.encoded(`samples:${channel.id}`, (r) =>
            samplesOf(r, channel.id, stored.channels),
          );
          for (let i = 0; i < values.length; i++) {
            sink.data({ value: values[i] as number, timestamp: Number(times[i]) / 1e6, alarm: NO_ALARM });
          }
        }
      },
      onSession: (session) => {
        sink.status({ connected: isLive(session.state), readAccess: true, writeAccess: false });
      },
    });
    return { close: stop };
  }

  close(): void {}

  #channel(identity: string, name: string): SessionChannel {
    if (!this.#store.has(identity)) {
      throw new BeamgateError("BG_ERR_TOPIC_NOT_FOUND", `No telemetry session ${identity}`);
    }
    const channels = this.#store.session(identity).channels.channels;
    const byId = /^\d+$/.test(name) ? channels.get(Number(name)) : undefined;
    const channel = byId ?? [...channels.values()].find((c) => c.name === name);
    if (!channel) throw new BeamgateError("BG_ERR_TOPIC_NOT_FOUND", `Session ${identity} has no channel ${name}`);
    return channel;
  }
}

function metaOf(channel: SessionChannel): Meta {
  return {
    kind: "log",
    dtype: "float64",
    description: channel.name,
    ...(channel.unit !== undefined ? { units: channel.unit } : {}),
    ...(channel.min !== undefined && channel.max !== undefined
      ? { display: { low: channel.min, high: channel.max } }
      : {}),
  };
}
