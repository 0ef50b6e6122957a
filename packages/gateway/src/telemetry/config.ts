/**
 * Telemetry configs: immutable descriptions of channels (source, sample type, interval), parameters
 * (name, unit, limits) and event definitions, keyed by app name (specs/rta-stream.md). A session
 * binds configs with channel offsets; `ChannelMap` is the result a session's data is checked against.
 */
import { SAMPLE_TYPES, type SampleType, sampleWidth } from "@beamgate/rta";
import { z } from "zod";
import { toNanos } from "./big-json.js";
import type { ConfigBinding } from "./session.js";

export const CHANNEL_SOURCES = ["timestamped", "periodic", "row"] as const;
export type ChannelSource = (typeof CHANNEL_SOURCES)[number];

const limit = z.number().finite().optional();
const ChannelSchema = z
  .object({
    id: z.number().int().min(0).max(0xffff_fffe),
    name: z.string().min(1).max(256),
    source: z.enum(CHANNEL_SOURCES).default("row"),
    type: z.enum(SAMPLE_TYPES).default("f64"),
    interval: z
      .union([z.number(), z.string()])
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return undefined;
        try {
          const ns = toNanos(v, "interval");
          if (ns > 0n) return ns;
          ctx.addIssue({ code: "custom", message: "interval must be positive" });
        } catch (e) {
          ctx.addIssue({ code: "custom", message: (e as Error).message });
        }
        return z.NEVER;
      }),
  })
  .passthrough();
const ParameterSchema = z
  .object({
    name: z.string().min(1).max(256),
    unit: z.string().max(64).optional(),
    min: limit,
    max: limit,
    warnMin: limit,
    warnMax: limit,
    format: z.string().max(64).optional(),
    conversion: z.string().max(256).optional(),
    channels: z.array(z.number().int().min(0)).max(4096).default([]),
  })
  .passthrough();
const EventDefinitionSchema = z
  .object({
    id: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
    code: z.string().min(1).max(256),
    desc: z.string().max(1024).default(""),
    pri: z.enum(["debug", "low", "medium", "high"]).default("low"),
  })
  .passthrough();
const AppSchema = z
  .object({
    parameters: z.array(ParameterSchema).max(100_000).default([]),
    channels: z.array(ChannelSchema).max(100_000).default([]),
    conversions: z.array(z.unknown()).max(100_000).default([]),
    events: z.array(EventDefinitionSchema).max(100_000).default([]),
    tree: z.unknown().optional(),
  })
  .strict()
  .superRefine((app, ctx) => {
    const ids = new Set<number>();
    for (const [i, c] of app.channels.entries()) {
      if (ids.has(c.id))
        ctx.addIssue({ code: "custom", path: ["channels", i, "id"], message: `duplicate channel ${c.id}` });
      ids.add(c.id);
      if ((c.source === "periodic") !== (c.interval !== undefined)) {
        ctx.addIssue({
          code: "custom",
          path: ["channels", i, "interval"],
          message: "periodic channels need an interval (ns); other channels have none",
        });
      }
    }
    const events = new Set<number>();
    for (const [i, e] of app.events.entries()) {
      if (events.has(e.id))
        ctx.addIssue({ code: "custom", path: ["events", i, "id"], message: `duplicate event ${e.id}` });
      events.add(e.id);
    }
  });

/** `{appName: {parameters, channels, conversions, events, tree}}`. */
export const ConfigSchema = z
  .record(z.string().min(1).max(128), AppSchema)
  .refine((c) => Object.keys(c).length > 0, "a config names at least one app");
export type TelemetryConfig = z.infer<typeof ConfigSchema>;

/** One channel of a session, its id already offset by its binding. */
export interface SessionChannel {
  readonly id: number;
  readonly name: string;
  readonly source: ChannelSource;
  readonly type: SampleType;
  readonly width: number;
  readonly interval?: bigint;
  readonly app: string;
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly format?: string;
}

/** The channels and event definitions a session's bindings give it. */
export class ChannelMap {
  readonly channels = new Map<number, SessionChannel>();
  /** `${app}/${id}` of every event definition. */
  readonly events = new Set<string>();

  /** Throws an Error naming the clash if two bindings give one channel id. */
  add(binding: ConfigBinding, config: TelemetryConfig): void {
    for (const [app, spec] of Object.entries(config)) {
      const parameterOf = new Map<number, (typeof spec.parameters)[number]>();
      for (const p of spec.parameters) for (const c of p.channels) parameterOf.set(c, p);
      for (const c of spec.channels) {
        const id = c.id + binding.channelOffset;
        if (id > 0xffff_fffe) throw new Error(`channel ${c.id} + offset ${binding.channelOffset} is past 0xFFFFFFFE`);
        if (this.channels.has(id)) {
          throw new Error(`channel ${id} is given twice (by ${binding.identifier} and an earlier binding)`);
        }
        const p = parameterOf.get(c.id);
        this.channels.set(id, {
          id,
          name: c.name,
          source: c.source,
          type: c.type,
          width: sampleWidth(c.type),
          ...(c.interval !== undefined ? { interval: c.interval } : {}),
          app,
          ...(p?.unit !== undefined ? { unit: p.unit } : {}),
          ...(p?.min !== undefined ? { min: p.min } : {}),
          ...(p?.max !== undefined ? { max: p.max } : {}),
          ...(p?.format !== undefined ? { format: p.format } : {}),
        });
      }
      for (const e of spec.events) this.events.add(`${app}/${e.id}`);
    }
  }
}
