/**
 * The demo session: a simulated vehicle lapping a test track, so the RTA stream, the REST reads and
 * the `rta://` topics can be tried with no configuration. Periodic channels at 1 kHz, 500 Hz and
 * 100 Hz, the gear as a timestamped channel (on change), tyre temperatures as rows at 10 Hz, events
 * (lap trigger, overspeed) and a lap marker per lap (one lap a minute). Each start replaces the
 * previous demo's data (about 25 KB/s).
 */
import {
  create,
  type Event,
  EventSchema,
  encodeSamples,
  PeriodicDataSchema,
  RowDataSchema,
  TimestampedDataSchema,
} from "@beamgate/rta";
import type { Logger } from "../log.js";
import { nowNanos } from "./big-json.js";
import { isLive, type Session } from "./session.js";
import type { TelemetryStore } from "./telemetry.js";

export const DEMO_CONFIG = "beamgate-demo-vehicle-1";
const DEMO_TYPE = "demo";
const APP = "Vehicle";
const MS = 1_000_000n;
const TICK_MS = 20;
const LAP_NS = 60_000n * MS;

type Periodic = { id: number; name: string; unit: string; min: number; max: number; type: "f32" | "u8"; hz: number };
const PERIODIC: Periodic[] = [
  { id: 0, name: "vCar", unit: "km/h", min: 0, max: 350, type: "f32", hz: 1000 },
  { id: 1, name: "nEngine", unit: "rpm", min: 0, max: 15000, type: "f32", hz: 1000 },
  { id: 2, name: "gLat", unit: "g", min: -5, max: 5, type: "f32", hz: 500 },
  { id: 3, name: "gLong", unit: "g", min: -5, max: 5, type: "f32", hz: 500 },
  { id: 4, name: "rThrottle", unit: "%", min: 0, max: 100, type: "u8", hz: 100 },
  { id: 5, name: "pBrake", unit: "bar", min: 0, max: 150, type: "f32", hz: 100 },
];
const GEAR = 6;
const TYRES = [7, 8, 9, 10];
const EVENT_LAP = 1;
const EVENT_OVERSPEED = 2;

export const DEMO_CONFIG_JSON = {
  [APP]: {
    channels: [
      ...PERIODIC.map((c) => ({
        id: c.id,
        name: c.name,
        source: "periodic",
        type: c.type,
        interval: 1_000_000_000 / c.hz,
      })),
      { id: GEAR, name: "nGear", source: "timestamped", type: "s8" },
      ...["FL", "FR", "RL", "RR"].map((w, i) => ({ id: TYRES[i], name: `tTyre${w}`, source: "row", type: "f32" })),
    ],
    parameters: [
      ...PERIODIC.map((c) => ({
        name: c.name,
        unit: c.unit,
        min: c.min,
        max: c.max,
        format: "%.2f",
        channels: [c.id],
      })),
      { name: "nGear", unit: "", min: 0, max: 8, format: "%d", channels: [GEAR] },
      ...["FL", "FR", "RL", "RR"].map((w, i) => ({
        name: `tTyre${w}`,
        unit: "degC",
        min: 20,
        max: 130,
        warnMax: 110,
        format: "%.1f",
        channels: [TYRES[i]],
      })),
    ],
    events: [
      { id: EVENT_LAP, code: "LapTrigger", desc: "Lap completed", pri: "medium" },
      { id: EVENT_OVERSPEED, code: "Overspeed", desc: "Speed above 300 km/h", pri: "high" },
    ],
  },
};

/** The vehicle at time `t` (ns into the session). */
function vehicle(t: bigint) {
  const phase = Number(t % LAP_NS) / Number(LAP_NS);
  const a = 2 * Math.PI * phase;
  const speed = 190 + 110 * Math.sin(a) + 25 * Math.sin(5 * a);
  const accel = ((110 * Math.cos(a) + 125 * Math.cos(5 * a)) * ((2 * Math.PI) / 60)) / 3.6; // m/s^2
  const gear = Math.min(8, Math.max(1, Math.ceil(speed / 40)));
  return {
    speed,
    rpm: 4000 + ((speed % 40) / 40) * 8000 + gear * 200,
    gLat: 3.2 * Math.sin(3 * a) * (speed / 300),
    gLong: accel / 9.81,
    throttle: accel > 0 ? Math.min(100, 40 + accel * 8) : 0,
    brake: accel < -2 ? Math.min(150, -accel * 6) : 0,
    gear,
    tyre: (i: number) => 85 + 10 * Math.sin(a + i) + (speed / 350) * 8,
  };
}

/** A session the demo made (and a later start may delete): its type, identity and config all say so. */
function isDemo(session: Session): boolean {
  return (
    session.type === DEMO_TYPE &&
    session.identity.startsWith("demo-") &&
    session.configBindings.length === 1 &&
    session.configBindings[0]?.identifier === DEMO_CONFIG
  );
}

export interface Demo {
  readonly identity: string;
  stop(): Promise<void>;
}

export async function startDemo(store: TelemetryStore, log: Logger): Promise<Demo> {
  for (const s of store.sessions()) if (isDemo(s)) await store.deleteSession(s.identity);
  store.publishConfig(DEMO_CONFIG, DEMO_CONFIG_JSON);
  const start = nowNanos();
  const identity = `demo-${new Date().toISOString().replace(/[-:]/g, "").slice(0, 15)}`;
  store.createSession({
    identity,
    identifier: "Demo vehicle on the beamgate test track",
    state: "open",
    type: DEMO_TYPE,
    details: { driver: "Sim Driver", track: "beamgate test track", vehicle: "BG-1" },
    configBindings: [{ identifier: DEMO_CONFIG, channelOffset: 0 }],
    markers: [],
  });
  // Next sample time of each periodic channel; the last gear and row times.
  const next = new Map(PERIODIC.map((c) => [c.id, start]));
  let lastGear = -1;
  let nextRow = start;
  let lap = 0;
  let overspeed = false;
  let writing = Promise.resolve();
  let busy = false;

  // Each tick writes the samples due since the last; a tick that finds the last write still going
  // is skipped, and the next one catches up (no backlog of writes).
  const tick = () => {
    if (busy) return;
    const now = nowNanos();
    const periodic = [];
    for (const c of PERIODIC) {
      const interval = 1_000_000_000n / BigInt(c.hz);
      let t = next.get(c.id) as bigint;
      while (t <= now) {
        const values: number[] = [];
        const first = t;
        for (; t <= now && values.length < 128; t += interval) {
          const v = vehicle(t - start);
          values.push([v.speed, v.rpm, v.gLat, v.gLong, Math.round(v.throttle), v.brake][c.id] as number);
        }
        periodic.push(
          create(PeriodicDataSchema, {
            channelId: c.id,
            startTimestamp: first,
            interval,
            samples: values.length,
            buffer: encodeSamples(c.type, values),
          }),
        );
      }
      next.set(c.id, t);
    }
    const v = vehicle(now - start);
    const timestamped = [];
    if (v.gear !== lastGear) {
      lastGear = v.gear;
      timestamped.push(
        create(TimestampedDataSchema, {
          channelId: GEAR,
          startTimestamp: now,
          timestampDeltasScale: 1n,
          timestampDeltas: [0n],
          buffer: encodeSamples("s8", [v.gear]),
        }),
      );
    }
    const rows = [];
    for (; nextRow <= now; nextRow += 100n * MS) {
      const r = vehicle(nextRow - start);
      rows.push(
        create(RowDataSchema, {
          channelIds: TYRES,
          timestamp: nextRow,
          buffer: encodeSamples(
            "f32",
            TYRES.map((_, i) => r.tyre(i)),
          ),
        }),
      );
    }
    const events: Event[] = [];
    const event = (id: number, statusText: string, rawData: number[]) =>
      events.push(create(EventSchema, { eventDefinitionId: id, appName: APP, timestamp: now, statusText, rawData }));
    if (v.speed > 300 !== overspeed) {
      overspeed = v.speed > 300;
      if (overspeed) event(EVENT_OVERSPEED, "Overspeed", [v.speed]);
    }
    const completed = Number((now - start) / LAP_NS);
    const lapEnded = completed > lap;
    if (lapEnded) {
      lap = completed;
      event(EVENT_LAP, `Lap ${lap}`, [lap]);
    }
    busy = true;
    writing = (async () => {
      try {
        if (!isLive(store.session(identity).session.state)) return;
        await store.append(identity, { kind: "periodic", items: periodic });
        if (timestamped.length) await store.append(identity, { kind: "timestamped", items: timestamped });
        if (rows.length) await store.append(identity, { kind: "row", items: rows });
        if (events.length) await store.append(identity, { kind: "events", items: events });
        if (lapEnded) {
          const lapStart = start + BigInt(lap - 1) * LAP_NS;
          await store.updateSession(identity, {
            addMarkers: [{ type: "lap", label: `Lap ${lap}`, startTime: lapStart, endTime: lapStart + LAP_NS - 1n }],
          });
        }
      } catch (e) {
        log.error({ err: e, session: identity }, "demo session write failed");
      } finally {
        busy = false;
      }
    })();
  };
  const timer = setInterval(tick, TICK_MS);
  timer.unref();
  log.info({ session: identity }, "demo telemetry session running");
  return {
    identity,
    async stop() {
      clearInterval(timer);
      await writing;
      if (store.has(identity) && isLive(store.session(identity).session.state)) {
        await store.updateSession(identity, { state: "closed" });
      }
    },
  };
}
