/**
 * The telemetry store: sessions, configs and their data under `<dataDir>/telemetry`, and the one
 * place they change. A write is checked whole, appended, made durable, and only then published
 * to live followers and answered (`append`); a restart loses nothing that was answered.
 *
 *   telemetry/configs/<identifier>.json      a published config, as published (immutable)
 *   telemetry/sessions/<identity>/session.json
 *   telemetry/sessions/<identity>/chunk-000001.log ...
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { BeamgateError } from "../errors.js";
import { writeFileDurably } from "../storage/atomic-file.js";
import { toNanos } from "./big-json.js";
import { ChannelMap, ConfigSchema, type TelemetryConfig } from "./config.js";
import { type DataItems, IngestError, toRecords } from "./ingest.js";
import {
  canMove,
  describeIssues,
  isLive,
  type Marker,
  NAME_PATTERN,
  type Session,
  type SessionCreate,
  type SessionUpdate,
} from "./session.js";
import type { SessionLogOptions } from "./session-log.js";
import { type SessionListener, StoredSession } from "./session-store.js";

export type TelemetryStoreOptions = SessionLogOptions;

/** Markers one session may hold (each change rewrites and sends the whole Session JSON). */
const MAX_MARKERS = 10_000;

export class TelemetryStore {
  readonly #dir: string;
  readonly #options: TelemetryStoreOptions;
  readonly #sessions = new Map<string, StoredSession>();
  readonly #beforeEnd: ((identity: string) => Promise<void>)[] = [];
  readonly #problems: string[] = [];
  readonly #configs = new Map<
    string,
    { readonly raw: unknown; readonly text: string; readonly config: TelemetryConfig }
  >();

  /** Opens (creating) the store under `dir`, loading every config and session. */
  constructor(dir: string, options: TelemetryStoreOptions) {
    this.#dir = dir;
    this.#options = options;
    mkdirSync(join(dir, "configs"), { recursive: true });
    mkdirSync(join(dir, "sessions"), { recursive: true });
    for (const name of readdirSync(join(dir, "configs"))) {
      if (!name.endsWith(".json")) continue;
      this.#load(`config ${name}`, () => {
        const text = readFileSync(join(dir, "configs", name), "utf8");
        const raw = JSON.parse(text);
        this.#configs.set(name.slice(0, -5), { raw, text, config: ConfigSchema.parse(raw) });
      });
    }
    for (const identity of readdirSync(join(dir, "sessions"))) {
      const file = join(dir, "sessions", identity, "session.json");
      if (!existsSync(file)) continue;
      this.#load(`session ${identity}`, () => {
        const { record, ...session } = reviveSession(JSON.parse(readFileSync(file, "utf8")));
        const stored = new StoredSession(this.#sessionDir(identity), session, (id) => this.#config(id), options);
        stored.record = record;
        this.#sessions.set(identity, stored);
      });
    }
  }

  /** What could not be loaded at start (left on disk as it is, and not served). */
  get problems(): readonly string[] {
    return this.#problems;
  }

  #load(what: string, load: () => void): void {
    try {
      load();
    } catch (e) {
      this.#problems.push(`${what}: ${(e as Error).message}`);
    }
  }

  /** Every session, newest first. */
  sessions(): Session[] {
    return [...this.#sessions.values()].map((s) => s.session).sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  }

  /** A session, or BG_ERR_TELEMETRY_NOT_FOUND. */
  session(identity: string): StoredSession {
    const s = this.#sessions.get(identity);
    if (!s) throw new BeamgateError("BG_ERR_TELEMETRY_NOT_FOUND", `No session ${identity}`);
    return s;
  }

  has(identity: string): boolean {
    return this.#sessions.has(identity);
  }

  /** A config as published (its JSON text), or BG_ERR_TELEMETRY_NOT_FOUND. */
  configText(identifier: string): string {
    const c = this.#configs.get(identifier);
    if (!c) throw new BeamgateError("BG_ERR_TELEMETRY_NOT_FOUND", `No config ${identifier}`);
    return c.text;
  }

  /**
   * Publishes a config. Configs are immutable: publishing the same content again is accepted
   * (returns false), different content under a published identifier is BG_ERR_TELEMETRY_CONFLICT.
   */
  publishConfig(identifier: string, raw: unknown): boolean {
    if (!NAME_PATTERN.test(identifier)) {
      throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", `Config identifier: 1 to 128 letters, digits and . _ : -`);
    }
    const parsed = ConfigSchema.safeParse(raw);
    if (!parsed.success) {
      throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", `Invalid config: ${describeIssues(parsed.error)}`);
    }
    const text = JSON.stringify(raw);
    const existing = this.#configs.get(identifier);
    if (existing) {
      if (isDeepStrictEqual(existing.raw, raw)) return false;
      throw new BeamgateError(
        "BG_ERR_TELEMETRY_CONFLICT",
        `Config ${identifier} is already published with other content (configs are immutable: publish a new identifier)`,
      );
    }
    writeFileDurably(join(this.#dir, "configs", `${identifier}.json`), text);
    this.#configs.set(identifier, { raw, text, config: parsed.data });
    return true;
  }

  /** Creates a session (BG_ERR_TELEMETRY_CONFLICT if the identity is taken). */
  createSession(input: SessionCreate): StoredSession {
    const identity = input.identity ?? randomUUID();
    if (this.#sessions.has(identity)) {
      throw new BeamgateError("BG_ERR_TELEMETRY_CONFLICT", `Session ${identity} already exists`);
    }
    const channels = this.#channelMap(input.configBindings);
    const now = new Date().toISOString();
    const session: Session = {
      identity,
      state: input.state,
      timestamp: now,
      identifier: input.identifier,
      ...(input.state === "open" ? { startTimestamp: now } : {}),
      details: input.details,
      ...(input.type !== undefined ? { type: input.type } : {}),
      ...(input.quality !== undefined ? { quality: input.quality } : {}),
      ...(input.group !== undefined ? { group: input.group } : {}),
      version: 1,
      children: [],
      alternates: [],
      configBindings: input.configBindings,
      markers: sortMarkers(input.markers),
    };
    const stored = new StoredSession(this.#sessionDir(identity), session, (id) => this.#config(id), this.#options);
    stored.record = input.record;
    stored.replace(session, channels);
    this.#sessions.set(identity, stored);
    return stored;
  }

  /**
   * Changes a session: state (one way only), details and markers (replaced, or `addMarkers`
   * added), bindings (added). Followers are told once data written before it is published.
   */
  updateSession(identity: string, update: SessionUpdate): Promise<Session> {
    const stored = this.session(identity);
    return stored.serialized(() => this.#update(stored, update));
  }

  async #update(stored: StoredSession, update: SessionUpdate): Promise<Session> {
    const before = stored.session;
    const state = update.state ?? before.state;
    if (!canMove(before.state, state)) {
      throw new BeamgateError(
        "BG_ERR_TELEMETRY_CONFLICT",
        `Session ${before.identity} cannot go from ${before.state} to ${state}`,
      );
    }
    const bindings = [...before.configBindings, ...(update.configBindings ?? [])];
    const channels = update.configBindings ? this.#channelMap(bindings) : stored.channels;
    const ending = isLive(before.state) && !isLive(state);
    if (ending) {
      await Promise.all(this.#beforeEnd.map((hook) => hook(before.identity)));
      // From here appends are refused: every accepted one is in the log, published by the flush below.
      stored.ending = true;
    }
    const now = new Date().toISOString();
    const next: Session = {
      ...before,
      ...(update.identifier !== undefined ? { identifier: update.identifier } : {}),
      ...(update.type !== undefined ? { type: update.type } : {}),
      ...(update.quality !== undefined ? { quality: update.quality } : {}),
      ...(update.group !== undefined ? { group: update.group } : {}),
      ...(update.details !== undefined ? { details: update.details } : {}),
      state,
      ...(state === "open" && !before.startTimestamp ? { startTimestamp: now } : {}),
      ...(ending ? { endTimestamp: now } : {}),
      version: before.version + 1,
      configBindings: bindings,
      markers: sortMarkers([...(update.markers ?? before.markers), ...(update.addMarkers ?? [])]),
    };
    if (next.markers.length > MAX_MARKERS) {
      stored.ending = false;
      throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", `A session holds at most ${MAX_MARKERS} markers`);
    }
    try {
      await stored.log.flush();
      stored.replace(next, channels);
    } catch (e) {
      stored.ending = false;
      throw new BeamgateError("BG_ERR_TELEMETRY_STORAGE", `Session ${before.identity}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    stored.announce();
    return stored.session;
  }

  /**
   * Stores a write to a live session and publishes it once durable. Throws
   * BG_ERR_TELEMETRY_INVALID / _CONFLICT (nothing stored) or BG_ERR_TELEMETRY_STORAGE.
   */
  async append(identity: string, data: DataItems): Promise<number> {
    const stored = this.session(identity);
    const state = stored.session.state;
    if (!isLive(state) || stored.ending) {
      const now = isLive(state) ? "ending" : state;
      throw new BeamgateError("BG_ERR_TELEMETRY_CONFLICT", `Session ${identity} is ${now}: it takes no more data`);
    }
    let records: ReturnType<typeof toRecords>;
    try {
      records = toRecords(data, stored.channels, stored.coverage);
    } catch (e) {
      if (!(e instanceof IngestError)) throw e;
      throw new BeamgateError(
        e.kind === "conflict" ? "BG_ERR_TELEMETRY_CONFLICT" : "BG_ERR_TELEMETRY_INVALID",
        e.message,
      );
    }
    try {
      stored.append(records);
      await stored.log.flush();
    } catch (e) {
      throw new BeamgateError("BG_ERR_TELEMETRY_STORAGE", `Session ${identity}: ${(e as Error).message}`, { cause: e });
    }
    stored.publish(records);
    return records.length;
  }

  /** Runs `hook` before a session ends, so writers can store what they hold (the recorder). */
  beforeEnd(hook: (identity: string) => Promise<void>): void {
    this.#beforeEnd.push(hook);
  }

  /** Follows a session; returns the function that stops following. */
  follow(identity: string, listener: SessionListener): () => void {
    const stored = this.session(identity);
    stored.listeners.add(listener);
    return () => stored.listeners.delete(listener);
  }

  /** Deletes a session and its data (the demo's old sessions). */
  async deleteSession(identity: string): Promise<void> {
    const stored = this.#sessions.get(identity);
    if (!stored) return;
    this.#sessions.delete(identity);
    await stored.close();
    rmSync(this.#sessionDir(identity), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((s) => s.close()));
  }

  #sessionDir(identity: string): string {
    return join(this.#dir, "sessions", identity);
  }

  #config(identifier: string): TelemetryConfig {
    const c = this.#configs.get(identifier);
    if (!c) throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", `No config ${identifier} is published`);
    return c.config;
  }

  #channelMap(bindings: SessionCreate["configBindings"]): ChannelMap {
    const map = new ChannelMap();
    for (const b of bindings) {
      try {
        map.add(b, this.#config(b.identifier));
      } catch (e) {
        if (e instanceof BeamgateError) throw e;
        throw new BeamgateError("BG_ERR_TELEMETRY_INVALID", `Config bindings: ${(e as Error).message}`);
      }
    }
    return map;
  }
}

function sortMarkers(markers: readonly Marker[]): Marker[] {
  return [...markers].sort((a, b) => (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0));
}

/** A stored Session JSON, its ns times back to bigints. */
function reviveSession(json: Session & { record?: string[] }): Session & { record?: string[] } {
  return {
    ...json,
    ...(json.timeRange
      ? {
          timeRange: {
            startTime: toNanos(json.timeRange.startTime, "startTime"),
            endTime: toNanos(json.timeRange.endTime, "endTime"),
          },
        }
      : {}),
    markers: json.markers.map((m) => ({
      ...m,
      startTime: toNanos(m.startTime, "startTime"),
      endTime: toNanos(m.endTime, "endTime"),
    })),
  };
}
