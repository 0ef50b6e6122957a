/** pv-socket's targets: any topic name, one signal each, answered in the real server's words. */
import { PV_KEYS } from "./client-message.js";
import type { Targets } from "./targets.js";

export const PV_TARGETS: Targets = {
  keys: PV_KEYS,
  resolve: (name) => ({
    signals: [{ subject: { pv: name }, topic: name, frames: "all", writable: true }],
    setpoint: 0,
    identity: name,
  }),
  words: {
    noun: "PV",
    subscribed: (name) => `Subscribed to ${name}`,
    refreshed: "Refreshed all PVs",
    noNames: "No PV name(s) specified",
    noName: "No PV specified",
    notSubscribed: (name) => `PV ${name} is not subscribed. Subscribe to PV before setting value.`,
    setDone: () => undefined, // success is silent: the new value arrives as value frames
  },
};
