/**
 * Opens the telemetry store with what runs beside it: the recorder of hub topics and, unless
 * turned off, the simulated demo session. Recordings do not survive a restart (their hub
 * subscriptions were the process's): a session still recording when the gateway stopped is
 * marked `truncated` on start.
 */
import type { Config } from "../config/schema.js";
import { BeamgateError } from "../errors.js";
import type { Logger } from "../log.js";
import { startDemo } from "./demo.js";
import { Recorder } from "./recorder.js";
import { isLive } from "./session.js";
import { TelemetryStore } from "./telemetry.js";

export interface Telemetry {
  readonly store: TelemetryStore;
  readonly recorder: Recorder;
  /** The demo session's identity, when it runs. */
  readonly demo: string | undefined;
  close(): Promise<void>;
}

export async function openTelemetry(dir: string, options: Config["telemetry"], log: Logger): Promise<Telemetry> {
  let store: TelemetryStore;
  try {
    store = new TelemetryStore(dir, options);
  } catch (e) {
    throw new BeamgateError(
      "BG_ERR_CONFIG_INVALID",
      `dataDir: cannot open the telemetry store in ${dir}: ${(e as Error).message}`,
    );
  }
  for (const problem of store.problems) log.error({ dir }, `telemetry store: cannot load ${problem}`);
  for (const session of store.sessions()) {
    if (store.session(session.identity).record?.length && isLive(session.state)) {
      await store.updateSession(session.identity, { state: "truncated" });
    }
  }
  const recorder = new Recorder(store, log, { flushMs: 100, metaWaitMs: 5_000 });
  const demo = options.demo ? await startDemo(store, log) : undefined;
  return {
    store,
    recorder,
    demo: demo?.identity,
    async close() {
      await demo?.stop();
      await recorder.close();
      await store.close();
    },
  };
}
