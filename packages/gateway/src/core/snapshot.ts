/**
 * The current state of a few topics, read once: subscribe, wait until each has a value (or has
 * failed, or the time is up), and let go. For REST reads, which have no subscription of their own.
 */
import type { BeamgateError } from "../errors.js";
import type { Hub } from "./hub.js";
import type { Subscription } from "./subscription.js";
import { DISCONNECTED, type Meta, type Sample, type Status } from "./values.js";

export interface TopicSnapshot {
  readonly name: string;
  status: Status;
  meta: Meta | undefined;
  sample: Sample | undefined;
  error: BeamgateError | undefined;
}

export async function snapshot(
  hub: Pick<Hub, "subscribe">,
  names: readonly string[],
  timeoutMs: number,
): Promise<TopicSnapshot[]> {
  const subscriptions: Subscription[] = [];
  let wake: (() => void) | undefined;
  const states: TopicSnapshot[] = names.map((name) => ({
    name,
    status: DISCONNECTED,
    meta: undefined,
    sample: undefined,
    error: undefined,
  }));
  const done = () => states.every((s) => s.sample !== undefined || s.error !== undefined);
  try {
    states.forEach((state) => {
      try {
        subscriptions.push(
          hub.subscribe(state.name, {
            onEvent(event) {
              if (event.kind === "status") state.status = event.status;
              else if (event.kind === "meta") state.meta = event.meta;
              else state.sample = event.sample;
              if (done()) wake?.();
            },
            onEnd(error) {
              state.error = error;
              if (done()) wake?.();
            },
          }),
        );
      } catch (e) {
        state.error = e as BeamgateError;
      }
    });
    if (!done()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return states;
  } finally {
    for (const s of subscriptions) s.close();
  }
}
