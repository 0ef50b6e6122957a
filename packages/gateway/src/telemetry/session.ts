/**
 * A telemetry session: a recording (a run, a test, a lap set) with its channels' samples and events,
 * as the RTA Session JSON describes it (specs/rta-stream.md). Its state moves one way:
 * waiting -> open -> closed, with truncated, failed and abandoned as other ends.
 */
import { z } from "zod";
import { toNanos } from "./big-json.js";

export const SESSION_STATES = ["unknown", "waiting", "open", "closed", "truncated", "failed", "abandoned"] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** The states each state may move to; the last four are ends. */
const NEXT: Record<SessionState, readonly SessionState[]> = {
  unknown: ["waiting", "open", "closed", "truncated", "failed", "abandoned"],
  waiting: ["open", "closed", "failed", "abandoned"],
  open: ["closed", "truncated", "failed"],
  closed: [],
  truncated: [],
  failed: [],
  abandoned: [],
};

export function canMove(from: SessionState, to: SessionState): boolean {
  return from === to || NEXT[from].includes(to);
}

/** Whether a session takes data and can be followed live. */
export function isLive(state: SessionState): boolean {
  return state === "waiting" || state === "open";
}

export interface TimeRange {
  /** Inclusive, ns since the Unix epoch. */
  readonly startTime: bigint;
  readonly endTime: bigint;
}

export interface Marker {
  readonly type: string;
  readonly label: string;
  readonly startTime: bigint;
  readonly endTime: bigint;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export interface ConfigBinding {
  readonly identifier: string;
  readonly channelOffset: number;
}

/** The Session JSON (camelCase; ns times as JSON integers, ISO strings beside them). */
export interface Session {
  readonly identity: string;
  readonly state: SessionState;
  /** ISO 8601 with offset: when the session was created. */
  readonly timestamp: string;
  readonly identifier: string;
  readonly startTimestamp?: string;
  readonly endTimestamp?: string;
  readonly timeRange?: TimeRange;
  readonly details: Readonly<Record<string, string | number | boolean>>;
  readonly type?: string;
  readonly quality?: number;
  readonly group?: string;
  readonly version: number;
  readonly children: readonly string[];
  readonly alternates: readonly string[];
  readonly configBindings: readonly ConfigBinding[];
  readonly markers: readonly Marker[];
}

/** Identities and config identifiers appear in paths and file names: a safe, bounded alphabet. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const name = (what: string) =>
  z.string().regex(NAME_PATTERN, `${what}: 1 to 128 letters, digits and . _ : - (not first)`);
const nanos = z.union([z.number(), z.string()]).transform((v, ctx) => {
  try {
    return toNanos(v, "a time");
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});
const details = z.record(z.string().max(256), z.union([z.string().max(4096), z.number(), z.boolean()]));
const marker = z
  .object({ type: z.string().max(64).default("lap"), label: z.string().max(256), startTime: nanos, endTime: nanos })
  .strict()
  .refine((m) => m.endTime >= m.startTime, "a marker's endTime must not precede its startTime");
const binding = z.object({ identifier: name("identifier"), channelOffset: z.number().int().min(0).max(0xffff_0000) });

/** What a writer may set when creating a session. */
export const SessionCreateSchema = z
  .object({
    identity: name("identity").optional(),
    identifier: z.string().min(1).max(256),
    state: z.enum(["waiting", "open"]).default("open"),
    details: details.default({}),
    type: z.string().max(64).optional(),
    quality: z.number().min(0).max(1).optional(),
    group: z.string().max(256).optional(),
    configBindings: z.array(binding).max(64).default([]),
    markers: z.array(marker).max(10_000).default([]),
    /** beamgate's own: hub topics recorded as channels (`recorder.ts`). */
    record: z.array(z.string().min(1).max(512)).max(1024).optional(),
  })
  .strict();
export type SessionCreate = z.infer<typeof SessionCreateSchema>;

/** What a writer may change later. Markers and details given replace those held; bindings are added. */
export const SessionUpdateSchema = z
  .object({
    identifier: z.string().min(1).max(256).optional(),
    state: z.enum(SESSION_STATES).optional(),
    details: details.optional(),
    type: z.string().max(64).optional(),
    quality: z.number().min(0).max(1).optional(),
    group: z.string().max(256).optional(),
    configBindings: z.array(binding).max(64).optional(),
    markers: z.array(marker).max(10_000).optional(),
    addMarkers: z.array(marker).max(10_000).optional(),
  })
  .strict();
export type SessionUpdate = z.infer<typeof SessionUpdateSchema>;

/** A readable one-line account of a zod failure, for a 4xx `detail`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}
