/** A source for hub tests: topics are opened on demand and driven by the test through their sinks. */
import type { Source, TopicSink, Upstream } from "../../src/core/source.js";
import type { Meta } from "../../src/core/values.js";
import { BeamgateError } from "../../src/errors.js";

export class TestSource implements Source {
  readonly scheme = "test";
  readonly sinks = new Map<string, TopicSink>();
  opened = 0;
  closed = 0;
  /** Writes received by put, by path. */
  readonly puts: Array<{ path: string; value: unknown }> = [];
  /** How put behaves: resolve at once, never, or reject. */
  putMode: "ok" | "hang" | "reject" = "ok";

  resolve(path: string): string {
    if (path.startsWith("missing")) throw new BeamgateError("BG_ERR_TOPIC_NOT_FOUND", `test://${path} not found`);
    return path.trim();
  }

  open(path: string, sink: TopicSink): Upstream {
    this.opened++;
    this.sinks.set(path, sink);
    if (path.startsWith("log")) sink.meta({ kind: "log", dtype: "string" } satisfies Meta);
    else sink.meta({ kind: "state", dtype: "float64", units: "mm" } satisfies Meta);
    if (!path.startsWith("offline"))
      sink.status({ connected: true, readAccess: true, writeAccess: !path.startsWith("ro") });
    if (path.startsWith("failnow")) sink.fail(new BeamgateError("BG_ERR_TOPIC_NOT_FOUND", "gone at once"));
    return {
      close: () => {
        this.closed++;
        this.sinks.delete(path);
      },
      put: async (value) => {
        this.puts.push({ path, value });
        if (this.putMode === "hang") await new Promise(() => {});
        if (this.putMode === "reject") throw new BeamgateError("BG_ERR_PUT_INVALID_VALUE", "bad value");
      },
    };
  }

  close(): void {}

  /** Emits a data sample on an open topic. */
  emit(path: string, value: number | string, timestamp = 1_700_000_000_000): void {
    const sink = this.sinks.get(path);
    if (!sink) throw new Error(`topic ${path} is not open`);
    sink.data({ value, timestamp, alarm: { severity: 0, status: 0 } });
  }
}
