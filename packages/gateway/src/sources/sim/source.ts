/**
 * The `sim://` source: simulated, read-only PVs that need nothing installed. Each open topic runs
 * its own signal on a shared ticker and reports its first sample at once.
 */
import type { Source, TopicSink, Upstream } from "../../core/source.js";
import { nowMs } from "../../core/time.js";
import { DISCONNECTED } from "../../core/values.js";
import { BeamgateError } from "../../errors.js";
import { type Call, formatCall, parseCall } from "../call-syntax.js";
import { SIM_FUNCTIONS, type SimSignal } from "./functions.js";
import { Ticker } from "./ticker.js";

const CONNECTED = { connected: true, readAccess: true, writeAccess: false } as const;

export class SimSource implements Source {
  readonly scheme = "sim";
  readonly #ticker = new Ticker();

  resolve(path: string): string {
    const call = parseCall(path, this.scheme);
    this.#make(call); // validates the arguments
    return formatCall(call);
  }

  open(path: string, sink: TopicSink): Upstream {
    const signal = this.#make(parseCall(path, this.scheme));
    sink.meta(signal.meta);
    let connected = false;
    const tick = () => {
      const sample = signal.next();
      if (sample === null) {
        if (connected) sink.status(DISCONNECTED);
        connected = false;
        return;
      }
      if (!connected) sink.status(CONNECTED);
      connected = true;
      sink.data({ value: sample.value, alarm: sample.alarm, timestamp: nowMs() });
    };
    tick();
    return { close: this.#ticker.every(signal.periodMs, tick) };
  }

  close(): void {
    this.#ticker.stop();
  }

  #make(call: Call): SimSignal {
    const fn = Object.hasOwn(SIM_FUNCTIONS, call.name) ? SIM_FUNCTIONS[call.name] : undefined;
    if (!fn) {
      throw new BeamgateError(
        "BG_ERR_TOPIC_NOT_FOUND",
        `sim://${call.name}: no such simulated PV (known: ${Object.keys(SIM_FUNCTIONS).join(", ")})`,
      );
    }
    const args = call.args ?? [];
    if (call.type !== undefined || args.some((a) => typeof a !== "number")) {
      throw new BeamgateError("BG_ERR_TOPIC_INVALID", `sim://${formatCall(call)}: arguments must be numbers`);
    }
    return fn.make(args as number[]);
  }
}
