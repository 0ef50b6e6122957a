/**
 * Device files: YAML or JSON mapping device names to what they are made of, in place of the
 * Python startup files ophyd-websocket executes. Five kinds:
 *
 * ```yaml
 * mono:   { kind: signal, read: "BL:mono.RBV", write: "BL:mono" }   # write defaults to read
 * temp:   { kind: signal-ro, read: "BL:temp" }
 * m1:     { kind: motor, prefix: "SIM:m1" }                         # an EPICS motor record
 * stage:  { kind: device, components: { x: { kind: motor, prefix: "SIM:m2" }, ... } }
 * cam:    { kind: area-detector, cam: "13SIM1:cam1:", image: "13SIM1:image1:" }
 * ```
 *
 * `expandDevice` turns a definition into the leaf signals a device-socket streams, named as ophyd
 * names them (`m1_user_readback`, `stage_x_user_setpoint`), and the signal a `set` writes.
 */
import { z } from "zod";

const pvName = z.string().min(1, "a PV name may not be empty");

const SignalDef = z.object({ kind: z.literal("signal"), read: pvName, write: pvName.optional() }).strict();
const SignalRoDef = z.object({ kind: z.literal("signal-ro"), read: pvName }).strict();
const MotorDef = z.object({ kind: z.literal("motor"), prefix: pvName }).strict();
const AreaDetectorDef = z.object({ kind: z.literal("area-detector"), cam: pvName, image: pvName }).strict();

export type DeviceDef =
  | z.infer<typeof SignalDef>
  | z.infer<typeof SignalRoDef>
  | z.infer<typeof MotorDef>
  | z.infer<typeof AreaDetectorDef>
  | { readonly kind: "device"; readonly components: Readonly<Record<string, DeviceDef>> };

const componentName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a component name is an identifier");

export const DeviceDefSchema: z.ZodType<DeviceDef> = z.lazy(() =>
  z.discriminatedUnion("kind", [
    SignalDef,
    SignalRoDef,
    MotorDef,
    AreaDetectorDef,
    z.object({ kind: z.literal("device"), components: z.record(componentName, DeviceDefSchema) }).strict(),
  ]),
);

/** A device file: device names to definitions. */
export const DeviceFileSchema = z.record(z.string().min(1, "a device name may not be empty"), DeviceDefSchema);

/** One signal of a device: the PV behind it and what a socket is sent of it. */
export interface DeviceSignal {
  /** As ophyd names it: the device name, then the component path, joined by `_`. */
  readonly name: string;
  readonly pv: string;
  /** `all`: meta and value frames; `meta`: meta frames only (a motor's other fields); `none`: watched for a set. */
  readonly frames: "all" | "meta" | "none";
  readonly writable: boolean;
}

export interface Device {
  readonly name: string;
  readonly kind: DeviceDef["kind"];
  /** The file it was defined in. */
  readonly file: string;
  readonly definition: DeviceDef;
  readonly signals: readonly DeviceSignal[];
  /** Index in `signals` of what a `set` writes, if the device can be set. */
  readonly setpoint: number | undefined;
}

/** Motor record fields, by ophyd's EpicsMotor component names. */
const MOTOR_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ["user_readback", ".RBV"],
  ["user_setpoint", ".VAL"],
  ["velocity", ".VELO"],
  ["motor_done_move", ".DMOV"],
  ["motor_is_moving", ".MOVN"],
  ["motor_stop", ".STOP"],
  ["high_limit_travel", ".HLM"],
  ["low_limit_travel", ".LLM"],
  ["motor_egu", ".EGU"],
];

/** areaDetector cam records, by ophyd's component names. */
const CAM_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ["acquire", "Acquire"],
  ["acquire_time", "AcquireTime"],
  ["array_counter", "ArrayCounter_RBV"],
  ["size_x", "SizeX"],
  ["size_y", "SizeY"],
  ["min_x", "MinX"],
  ["min_y", "MinY"],
  ["bin_x", "BinX"],
  ["bin_y", "BinY"],
  ["color_mode", "ColorMode"],
  ["data_type", "DataType"],
];

export function expandDevice(name: string, definition: DeviceDef, file: string): Device {
  const signals: DeviceSignal[] = [];
  const setpoint = collect(name, definition, signals);
  return { name, kind: definition.kind, file, definition, signals, setpoint };
}

/** Adds the signals of `def` under the ophyd name `name`; returns the index of its setpoint, if any. */
function collect(name: string, def: DeviceDef, into: DeviceSignal[]): number | undefined {
  switch (def.kind) {
    case "signal": {
      into.push({ name, pv: def.read, frames: "all", writable: def.write === undefined });
      if (def.write === undefined) return into.length - 1;
      into.push({ name: `${name}_setpoint`, pv: def.write, frames: "none", writable: true });
      return into.length - 1;
    }
    case "signal-ro":
      into.push({ name, pv: def.read, frames: "all", writable: false });
      return undefined;
    case "motor": {
      let setpoint: number | undefined;
      for (const [component, field] of MOTOR_FIELDS) {
        if (component === "user_setpoint") setpoint = into.length;
        const frames = component === "user_readback" ? "all" : "meta";
        into.push({ name: `${name}_${component}`, pv: `${def.prefix}${field}`, frames, writable: true });
      }
      return setpoint;
    }
    case "area-detector":
      for (const [component, record] of CAM_FIELDS) {
        into.push({ name: `${name}_cam_${component}`, pv: `${def.cam}${record}`, frames: "all", writable: true });
      }
      return undefined;
    case "device":
      for (const [component, child] of Object.entries(def.components)) collect(`${name}_${component}`, child, into);
      return undefined;
  }
}

/** The definition at a dotted component path (`x`, `x.y`) of a composite device, if there is one. */
export function componentAt(def: DeviceDef, path: string): DeviceDef | undefined {
  let at: DeviceDef | undefined = def;
  for (const part of path.split(".")) {
    if (at?.kind !== "device" || !Object.hasOwn(at.components, part)) return undefined;
    at = at.components[part];
  }
  return at;
}

/** The ophyd class a kind stands for, as ophyd-websocket's device info names it. */
export const OPHYD_CLASSES: Readonly<Record<DeviceDef["kind"], { type: string; module: string }>> = {
  signal: { type: "EpicsSignal", module: "ophyd.signal" },
  "signal-ro": { type: "EpicsSignalRO", module: "ophyd.signal" },
  motor: { type: "EpicsMotor", module: "ophyd.epics_motor" },
  device: { type: "Device", module: "ophyd.device" },
  "area-detector": { type: "AreaDetector", module: "ophyd.areadetector.detectors" },
};
