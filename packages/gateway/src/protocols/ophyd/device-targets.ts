/** device-socket's targets: the devices of the registry and their signals, in the real server's words. */
import type { DeviceRegistry } from "../../devices/registry.js";
import { DEVICE_KEYS } from "./client-message.js";
import type { Targets } from "./targets.js";

export function deviceTargets(registry: DeviceRegistry): Targets {
  return {
    keys: DEVICE_KEYS,
    resolve(name) {
      const device = registry.get(name);
      if (!device) {
        return {
          error: `Device '${name}' not found in device registry`,
          listError: "not found in device registry",
          extra: { available_devices: registry.names },
        };
      }
      return {
        signals: device.signals.map((s) => ({
          subject: { device: name, signal: s.name },
          topic: s.pv,
          frames: s.frames,
          writable: s.writable,
        })),
        setpoint: device.setpoint ?? { error: `Device ${name} cannot be set: a ${device.kind} has no setpoint` },
        identity: device,
      };
    },
    words: {
      noun: "device",
      subscribed: (name) => `Subscribed to device ${name}`,
      refreshed: "Refreshed all devices",
      noNames: "No device name(s) specified",
      noName: "No device name specified",
      notSubscribed: (name) => `Device ${name} is not subscribed. Subscribe to device before setting value.`,
      setDone: (name, value) => ({ message: `Successfully set ${name} to ${value}` }),
    },
  };
}
