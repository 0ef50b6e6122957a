/**
 * The `loc://` source: writable PVs that live in the gateway, shared by every client. A PV is
 * created by its first reference (`loc://x(5)`, `loc://x<VEnum>(0, "Off", "On")`) and lives until
 * the gateway stops; later references may omit the initial value, which never overwrites a PV
 * that exists. A reference with an explicit `<Type>` that differs from the PV's is refused.
 */
import type { Source, TopicSink, Upstream } from "../../core/source.js";
import { BeamgateError } from "../../errors.js";
import { parseCall } from "../call-syntax.js";
import { LocalPv } from "./local-pv.js";

const ACCESS = { connected: true, readAccess: true, writeAccess: true } as const;

export class LocSource implements Source {
  readonly scheme = "loc";
  readonly #pvs = new Map<string, LocalPv>();
  readonly #sinks = new Map<string, Set<TopicSink>>();
  readonly #maxPvs: number;

  constructor(options: { maxPvs: number }) {
    this.#maxPvs = options.maxPvs;
  }

  resolve(path: string): string {
    const call = parseCall(path, this.scheme);
    const existing = this.#pvs.get(call.name);
    if (existing) {
      if (call.type !== undefined && call.type !== existing.type) {
        throw new BeamgateError(
          "BG_ERR_TOPIC_INVALID",
          `loc://${call.name} exists with type <${existing.type}>, not <${call.type}>`,
        );
      }
      return call.name;
    }
    if (this.#pvs.size >= this.#maxPvs) {
      throw new BeamgateError("BG_ERR_TOPIC_LIMIT", `Too many local PVs (limit ${this.#maxPvs})`);
    }
    this.#pvs.set(call.name, new LocalPv(call));
    return call.name;
  }

  open(name: string, sink: TopicSink): Upstream {
    const pv = this.#pvs.get(name);
    if (!pv) throw new BeamgateError("BG_ERR_TOPIC_NOT_FOUND", `loc://${name} does not exist`);
    const sinks = this.#sinks.get(name) ?? new Set<TopicSink>();
    this.#sinks.set(name, sinks);
    sinks.add(sink);
    sink.meta(pv.meta);
    sink.status(ACCESS);
    sink.data(pv.sample);
    return {
      close: () => {
        sinks.delete(sink);
        if (sinks.size === 0) this.#sinks.delete(name);
      },
      put: async (value) => {
        const sample = pv.write(value);
        if (sample) for (const s of sinks) s.data(sample);
      },
    };
  }

  close(): void {
    this.#sinks.clear();
  }
}
