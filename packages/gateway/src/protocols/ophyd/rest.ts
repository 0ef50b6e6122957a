/**
 * The ophyd-websocket REST routes under `/api/v1` (specs/ophyd-websocket.md; docs/ophyd-websocket.md),
 * with the real server's bodies and status codes: device files reloaded, devices listed, read and
 * set, PVs connected, read and set, the queue server's status, and the catalogue of the sockets.
 * Sets ask the queue server first (`queue-server.ts`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Hub } from "../../core/hub.js";
import type { ScopedHub } from "../../core/scoped-hub.js";
import { snapshot, type TopicSnapshot } from "../../core/snapshot.js";
import type { Subscription } from "../../core/subscription.js";
import type { Sample } from "../../core/values.js";
import { componentAt, type Device, expandDevice, OPHYD_CLASSES } from "../../devices/definition.js";
import type { DeviceRegistry } from "../../devices/registry.js";
import { asBeamgateError, BeamgateError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { type Route, sendError, sendJson } from "../../transport/http-server.js";
import { BodyError, readJsonBody } from "../../transport/json-body.js";
import { ophydValue } from "./frames.js";
import { pyStr } from "./python-text.js";
import { type QueueServerOptions, queueServerRefusal, queueServerStatus } from "./queue-server.js";

/** The name the access rules know the device-file reload by: a write to the gateway itself. */
export const LOAD_DEVICES = "admin://load-devices";

export interface RestOptions {
  readonly hub: Hub;
  readonly registry: DeviceRegistry;
  readonly log: Logger;
  readonly queueServer: QueueServerOptions;
  /** How long a read or a connection may take, in ms (ophyd's connection timeout). */
  readonly connectTimeoutMs: number;
  /** PVs `POST /pvs/{pv}` may hold open. */
  readonly maxPvs: number;
  /** Longest set timeout a client may ask for, and sets that may wait for completion at once. */
  readonly maxSetTimeoutMs: number;
  readonly maxPendingSets: number;
  readonly maxBodyBytes: number;
  /** The sockets, for `GET /websockets`: path and description. */
  readonly sockets: readonly { readonly path: string; readonly description: string }[];
}

/** Handles a request; `hub` is the hub as the caller's principal sees it. */
type Handler = (request: IncomingMessage, response: ServerResponse, url: URL, hub: ScopedHub) => Promise<void>;

/**
 * A route over several methods; a refusal by the access rules answers 403, a handler's unexpected
 * failure 500 rather than hanging.
 */
function route(hub: Hub, handlers: Readonly<Record<string, Handler>>, log: Logger): Route {
  return {
    methods: Object.keys(handlers),
    handle(request, response, url, access) {
      (handlers[request.method ?? ""] as Handler)(request, response, url, hub.as(access)).catch((e: unknown) => {
        if (e instanceof BodyError) {
          sendJson(response, e.status, { detail: e.message });
          return;
        }
        if (e instanceof BeamgateError && e.code === "BG_ERR_AUTH_FORBIDDEN") {
          sendError(response, e);
          return;
        }
        log.error({ err: e }, "REST route failed");
        if (!response.headersSent) sendJson(response, 500, { detail: `Internal error: ${(e as Error).message}` });
      });
    },
  };
}

/** The last path segment, decoded: `/api/v1/pvs/SIM%3Am1` -> `SIM:m1`; a malformed escape is a 400. */
function lastSegment(url: URL): string {
  try {
    return decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf("/") + 1));
  } catch {
    throw new BodyError(400, "Malformed percent-encoding in the path");
  }
}

/** FastAPI's 422 body for a body that does not match its model. */
function invalidBody(response: ServerResponse, body: unknown, problems: readonly [string, string][]): void {
  sendJson(response, 422, {
    detail: problems.map(([field, msg]) => ({ type: "value_error", loc: ["body", field], msg, input: body })),
  });
}

type SetValue = string | number;
const isSetValue = (v: unknown): v is SetValue =>
  typeof v === "string" || (typeof v === "number" && Number.isFinite(v));

/** Checks `{<key>, set_value, timeout?, ...}`; answers 422 and returns undefined if it is wrong. */
function setBody(
  response: ServerResponse,
  body: unknown,
  key: "device" | "pv",
  maxTimeoutS: number,
  extra: readonly string[] = [],
): { name: string; value: SetValue; timeout: number | undefined; fields: Record<string, unknown> } | undefined {
  const b = (typeof body === "object" && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const problems: [string, string][] = [];
  if (typeof b[key] !== "string" || b[key] === "") problems.push([key, "Field required: a non-empty string"]);
  if (!isSetValue(b.set_value)) problems.push(["set_value", "Field required: a string or a number"]);
  const timeout = b.timeout ?? undefined;
  if (
    timeout !== undefined &&
    (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout <= 0 || timeout > maxTimeoutS)
  ) {
    problems.push(["timeout", `Input should be a positive integer of seconds, at most ${maxTimeoutS}`]);
  }
  for (const field of extra) {
    if (b[field] !== undefined && b[field] !== null && typeof b[field] !== "string") {
      problems.push([field, "Input should be a valid string"]);
    }
  }
  if (problems.length > 0) {
    invalidBody(response, body, problems);
    return undefined;
  }
  return { name: b[key] as string, value: b.set_value as SetValue, timeout: timeout as number | undefined, fields: b };
}

/** Sends 423 (or the queue server's error) and returns true if a set may not go ahead now. */
async function refusedByQueueServer(response: ServerResponse, options: QueueServerOptions): Promise<boolean> {
  const refusal = await queueServerRefusal(options);
  if (refusal) sendJson(response, refusal.status, { detail: refusal.detail });
  return refusal !== undefined;
}

const snapshotValue = (s: TopicSnapshot) => (s.sample ? ophydValue(s.sample.value, s.meta) : null);

/** What `GET /devices/{name}` says of a device, read now: ophyd's `describe()` and `read()`. */
async function deviceInfo(hub: ScopedHub, device: Device, timeoutMs: number): Promise<Record<string, unknown>> {
  const shown = device.signals.filter((s) => s.frames !== "none");
  const states = await snapshot(
    hub,
    shown.map((s) => s.pv),
    timeoutMs,
  );
  const { type, module } = OPHYD_CLASSES[device.kind];
  const description: Record<string, unknown> = {};
  const values: Record<string, unknown> = {};
  shown.forEach((signal, i) => {
    const s = states[i] as TopicSnapshot;
    const limits = s.meta?.control ?? s.meta?.display;
    description[signal.name] = {
      source: `PV:${signal.pv}`,
      dtype: s.meta?.dtype === "string" ? "string" : s.meta?.count !== undefined ? "array" : "number",
      shape: s.meta?.count !== undefined ? [s.meta.count] : [],
      units: s.meta?.units ?? null,
      precision: s.meta?.precision ?? null,
      lower_ctrl_limit: limits?.low ?? null,
      upper_ctrl_limit: limits?.high ?? null,
      enum_strs: s.meta?.enumLabels ?? null,
    };
    values[signal.name] = { value: snapshotValue(s), timestamp: s.sample ? s.sample.timestamp / 1000 : null };
  });
  const prefix = device.definition.kind === "motor" ? { prefix: device.definition.prefix } : {};
  return {
    name: device.name,
    type,
    class: `${module}.${type}`,
    ...prefix,
    connected: states.every((s) => s.status.connected),
    description,
    values,
  };
}

export function ophydRestRoutes(o: RestOptions): Array<[string, Route]> {
  const { hub, registry, log } = o;
  /** Sets waiting for completion, all REST clients together. */
  let pendingSets = 0;
  /** Runs a put, unless `maxPendingSets` are already waiting (then 429 and undefined). */
  function boundedPut(response: ServerResponse, hub: ScopedHub, topic: string, value: SetValue, timeoutMs: number) {
    if (pendingSets >= o.maxPendingSets) {
      sendJson(response, 429, { detail: `At most ${o.maxPendingSets} sets may wait for completion at once` });
      return undefined;
    }
    pendingSets++;
    return hub.put(topic, value, timeoutMs).finally(() => {
      pendingSets--;
    });
  }

  /** PVs connected by `POST /pvs/{pv}` or `PUT /pvs`, held open: the real server's `pv_dict`. */
  const pvs = new Map<string, { subscription: Subscription; last: Sample | undefined }>();

  /** Holds a PV open once it has connected within the connection timeout; false if it did not. */
  async function connectPv(hub: ScopedHub, name: string): Promise<boolean> {
    if (pvs.has(name)) return true;
    const [state] = await snapshot(hub, [name], o.connectTimeoutMs);
    if (!state?.status.connected || pvs.has(name) || pvs.size >= o.maxPvs) return pvs.has(name);
    const held: { subscription?: Subscription; last: Sample | undefined } = { last: state.sample };
    held.subscription = hub.subscribe(name, {
      onEvent: (event) => {
        if (event.kind === "data") held.last = event.sample;
      },
      onEnd: () => pvs.delete(name),
    });
    pvs.set(name, held as { subscription: Subscription; last: Sample | undefined });
    return true;
  }

  const loadDevices: Handler = async (request, response, _url, hub) => {
    request.resume();
    hub.requireOwn("write", LOAD_DEVICES);
    if (registry.path === undefined) {
      sendJson(response, 400, {
        error: "No startup directory specified",
        message: "Server was not started with --startup-dir flag. Cannot load devices.",
        suggestion: "Restart server with: beamgate serve --startup-dir /path/to/device/files",
      });
      return;
    }
    const previous = registry.size;
    try {
      const change = await registry.reload();
      log.info({ ...change, devices: registry.size }, "device files reloaded");
      sendJson(response, 200, {
        success: true,
        message: `Successfully loaded ${registry.size} devices from startup directory`,
        startup_directory: registry.path,
        devices_loaded: registry.names,
        previous_device_count: previous,
        new_device_count: registry.size,
        ...change,
      });
    } catch (e) {
      log.warn({ err: (e as Error).message }, "device files not reloaded");
      sendJson(response, 500, {
        error: "Failed to load devices",
        message: (e as Error).message,
        startup_directory: registry.path,
      });
    }
  };

  const listDevices: Handler = async (_request, response) => {
    const names = registry.names;
    sendJson(response, 200, {
      devices: names,
      count: names.length,
      message:
        names.length > 0
          ? `Found ${names.length} devices in registry`
          : "No devices found in registry. Use --startup-dir to load devices from device files.",
    });
  };

  const readable = (hub: ScopedHub, device: Device) => device.signals.every((s) => hub.may("read", s.pv));

  const getDevice: Handler = async (_request, response, url, hub) => {
    const name = lastSegment(url);
    const device = registry.get(name);
    if (!device) {
      sendJson(response, 404, { error: `Device '${name}' not found in registry` });
      return;
    }
    for (const signal of device.signals) hub.require("read", signal.pv);
    sendJson(response, 200, await deviceInfo(hub, device, o.connectTimeoutMs));
  };

  const devicesInfo: Handler = async (_request, response, _url, hub) => {
    const names = registry.names.filter((name) => readable(hub, registry.get(name) as Device));
    const infos = await Promise.all(
      names.map((name) => deviceInfo(hub, registry.get(name) as Device, o.connectTimeoutMs)),
    );
    sendJson(response, 200, { devices: Object.fromEntries(names.map((n, i) => [n, infos[i]])), count: names.length });
  };

  const setDevice: Handler = async (request, response, _url, hub) => {
    const body = await readJsonBody(request, o.maxBodyBytes);
    const set = setBody(response, body, "device", o.maxSetTimeoutMs / 1000, ["component"]);
    if (!set) return;
    const device = registry.get(set.name);
    if (!device) {
      sendJson(response, 404, {
        error: `Device '${set.name}' not found in registry`,
        available_devices: registry.names,
      });
      return;
    }
    const component = (set.fields.component as string | null | undefined) ?? null;
    let target = device;
    if (component !== null) {
      const def = componentAt(device.definition, component);
      if (!def) {
        sendJson(response, 400, {
          error: `Component '${component}' not found on device '${set.name}'`,
          device_type: OPHYD_CLASSES[device.kind].type,
        });
        return;
      }
      target = expandDevice(`${set.name}_${component.replaceAll(".", "_")}`, def, device.file);
    }
    const targetName = component === null ? set.name : `${set.name}.${component}`;
    if (target.setpoint === undefined) {
      sendJson(response, 400, {
        error: `Target '${targetName}' does not support set operations`,
        target_type: OPHYD_CLASSES[target.kind].type,
      });
      return;
    }
    const topic = (target.signals[target.setpoint] as Device["signals"][number]).pv;
    hub.require("write", topic);
    if (await refusedByQueueServer(response, o.queueServer)) return;
    const shown = pyStr(set.value);
    const fields = { device: set.name, component, value: set.value };
    const put = boundedPut(response, hub, topic, set.value, (set.timeout ?? 30) * 1000);
    if (!put) return;
    if (set.timeout === undefined) {
      put.catch((e: unknown) => log.warn({ err: (e as Error).message, device: targetName }, "REST set failed"));
      sendJson(response, 200, {
        success: true,
        message: `Set operation initiated for ${targetName} to ${shown}`,
        ...fields,
        note: "No timeout specified - operation may complete asynchronously",
      });
      return;
    }
    try {
      await put;
      sendJson(response, 200, {
        success: true,
        message: `Successfully set ${targetName} to ${shown} (with timeout ${set.timeout}s)`,
        ...fields,
        timeout: set.timeout,
      });
    } catch (e) {
      const error = asBeamgateError(e, "BG_ERR_PUT_FAILED");
      sendJson(response, 500, { error: `Failed to set ${targetName}`, message: error.message, ...fields });
    }
  };

  const listPvs: Handler = async (_request, response, _url, hub) => {
    const names = [...pvs.keys()].filter((name) => hub.may("read", name));
    if (names.length === 0) sendJson(response, 404, { "404 Error": "No devices found" });
    else sendJson(response, 200, { "PV List": names });
  };

  const readPv: Handler = async (_request, response, url, hub) => {
    const name = lastSegment(url);
    hub.require("read", name);
    const held = pvs.get(name);
    if (!held) {
      sendJson(response, 404, { "404 Error": `PV ${name} not found` });
      return;
    }
    const value = held.last ? ophydValue(held.last.value, undefined) : null;
    sendJson(response, 200, { [name]: { value, timestamp: held.last ? held.last.timestamp / 1000 : null } });
  };

  const addPv: Handler = async (request, response, url, hub) => {
    request.resume();
    const name = lastSegment(url);
    hub.require("read", name);
    if (pvs.has(name)) {
      sendJson(response, 409, { "409 Error": `PV ${name} already exists, duplicate connections not allowed` });
      return;
    }
    if (pvs.size >= o.maxPvs) {
      sendJson(response, 429, { "429 Error": `At most ${o.maxPvs} PVs may be connected through the REST API` });
      return;
    }
    if (await connectPv(hub, name)) sendJson(response, 201, { "201": `PV ${name} is connected` });
    else sendJson(response, 408, { "408 Error": `Device ${name} is not connected` });
  };

  const setPv: Handler = async (request, response, _url, hub) => {
    const body = await readJsonBody(request, o.maxBodyBytes);
    const set = setBody(response, body, "pv", o.maxSetTimeoutMs / 1000);
    if (!set) return;
    hub.require("write", set.name);
    if (await refusedByQueueServer(response, o.queueServer)) return;
    if (!(await connectPv(hub, set.name))) {
      sendJson(response, 408, { "408 Error": `Device ${set.name} is not connected` });
      return;
    }
    const put = boundedPut(response, hub, set.name, set.value, (set.timeout ?? 1) * 1000);
    if (!put) return;
    try {
      await put;
      sendJson(response, 200, { "200": `Instruction accepted, set value of ${set.name} to ${pyStr(set.value)}.` });
    } catch (e) {
      log.warn({ err: (e as Error).message, pv: set.name }, "REST set failed");
      sendJson(response, 500, { "500 Error": `Could not move device ${set.name}` });
    }
  };

  const queueStatus: Handler = async (_request, response) => {
    try {
      sendJson(response, 200, await queueServerStatus(o.queueServer));
    } catch (e) {
      const error = e as { status?: number; detail?: unknown };
      sendJson(response, error.status ?? 500, { detail: error.detail ?? (e as Error).message });
    }
  };

  const websockets: Handler = async (request, response) => {
    const base = `ws://${request.headers.host ?? "localhost:8001"}`;
    const catalogue = Object.fromEntries(
      o.sockets.map((s) => [
        s.path.replace(/^\/api\/v1\//, "").replaceAll("-", "_"),
        { endpoint: s.path, description: s.description, example_url: `${base}${s.path}` },
      ]),
    );
    sendJson(response, 200, {
      websockets: catalogue,
      connection_info: { protocol: "WebSocket", base_url: base, documentation: "/docs" },
    });
  };

  return [
    ["/api/v1/load-devices", route(hub, { POST: loadDevices }, log)],
    ["/api/v1/devices", route(hub, { GET: listDevices, PUT: setDevice }, log)],
    ["/api/v1/devices/*", route(hub, { GET: getDevice }, log)],
    ["/api/v1/devices-info", route(hub, { GET: devicesInfo }, log)],
    ["/api/v1/pvs", route(hub, { GET: listPvs, PUT: setPv }, log)],
    ["/api/v1/pvs/*", route(hub, { GET: readPv, POST: addPv }, log)],
    ["/api/v1/queue-server/status", route(hub, { GET: queueStatus }, log)],
    ["/api/v1/websockets", route(hub, { GET: websockets }, log)],
  ];
}
