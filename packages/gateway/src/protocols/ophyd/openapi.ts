/**
 * The OpenAPI 3.1 document of `GET /openapi.json` (shown by `/docs`): the ophyd-websocket REST
 * routes with their bodies and status codes (specs/ophyd-websocket.md, docs/ophyd-websocket.md),
 * beamgate's own routes, and the WebSocket endpoints. OpenAPI has no WebSocket operations, so each
 * socket is a `get` operation tagged "WebSocket" and marked `x-websocket: true`, whose description
 * lists the client messages and server frames with examples, and whose 101 is the upgrade.
 *
 * Plain data built by small helpers; the examples are the wire texts of the docs.
 */

type Schema = Record<string, unknown>;
type Responses = Record<string, unknown>;

const TAG_REST = "ophyd-websocket REST";
const TAG_WS = "WebSocket";
const TAG_BEAMGATE = "beamgate";

// ---------------------------------------------------------------------------------------------
// Schemas

const str: Schema = { type: "string" };
const int: Schema = { type: "integer" };
const num: Schema = { type: "number" };
const bool: Schema = { type: "boolean" };
const strs: Schema = { type: "array", items: str };
const orNull = (s: Schema): Schema => ({ ...s, type: [s.type, "null"] });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const described = (s: Schema, description: string): Schema => ({ ...s, description });

/** An object schema; every property is required unless `optional` names it. */
function obj(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  const required = Object.keys(properties).filter((k) => !optional.includes(k));
  return { type: "object", properties, ...(required.length > 0 && { required }) };
}

/** ophyd-websocket's odd one-key bodies: `{"404 Error": "PV X not found"}`. */
const oneKey = (key: string): Schema => obj({ [key]: str });

/** `{"error": ..., ...}` bodies. */
const errorObj = (more: Record<string, Schema> = {}, optional: readonly string[] = []): Schema =>
  obj({ error: str, ...more }, optional);

// ---------------------------------------------------------------------------------------------
// Responses

/** A JSON response with its schema and one example. */
function json(description: string, schema: Schema, example: unknown): Responses {
  return { description, content: { "application/json": { schema, example } } };
}

/** A JSON media type with named examples (`{summary: example}`). */
function jsonMedia(schema: Schema, cases: Record<string, unknown>): Record<string, unknown> {
  const examples = Object.fromEntries(
    Object.entries(cases).map(([summary, value], i) => [`case${i + 1}`, { summary, value }]),
  );
  return { "application/json": { schema, examples } };
}

/** A JSON response with several named examples. */
const jsonCases = (description: string, schema: Schema, cases: Record<string, unknown>): Responses => ({
  description,
  content: jsonMedia(schema, cases),
});

/** FastAPI's `HTTPException` body `{"detail": "..."}`. */
const detail = (description: string, example: string): Responses =>
  json(description, ref("Detail"), { detail: example });

const responseRef = (name: string): Responses => ({ $ref: `#/components/responses/${name}` });

// ---------------------------------------------------------------------------------------------
// Operations

interface OperationSpec {
  readonly id: string;
  readonly summary: string;
  readonly description?: string;
  readonly parameters?: readonly unknown[];
  readonly body?: { readonly schema: Schema; readonly examples: Record<string, unknown> };
  readonly responses: Responses;
}

function operation(tag: string, spec: OperationSpec): Record<string, unknown> {
  return {
    tags: [tag],
    operationId: spec.id,
    summary: spec.summary,
    ...(spec.description && { description: spec.description }),
    ...(spec.parameters && { parameters: spec.parameters }),
    ...(spec.body && { requestBody: { required: true, content: jsonMedia(spec.body.schema, spec.body.examples) } }),
    responses: spec.responses,
  };
}

const rest = (spec: OperationSpec) => operation(TAG_REST, spec);

const pathParam = (name: string, description: string, example: string) => ({
  name,
  in: "path",
  required: true,
  description,
  schema: str,
  example,
});

/**
 * One WebSocket endpoint: what it is for, then `[what, ...examples]` for the messages either way
 * (an example is a JSON value, or a string holding the frame's exact text).
 */
interface SocketSpec {
  readonly id: string;
  readonly summary: string;
  readonly about: string;
  readonly client: readonly Message[];
  readonly server: readonly Message[];
  readonly notes?: string;
  readonly parameters?: readonly unknown[];
  readonly responses?: Responses;
}

type Message = readonly [what: string, ...examples: unknown[]];

/** Longer examples get a code block of their own, which scrolls instead of overflowing the page. */
const LONG = 100;

/** A Markdown list: `- what: example`, or a nested list of several examples. */
function bullets(items: readonly Message[]): string {
  const code = (example: unknown, indent: string) => {
    const text = typeof example === "string" ? example : JSON.stringify(example);
    return text.length > LONG ? `\n\n${indent}\`\`\`json\n${indent}${text}\n${indent}\`\`\`` : ` \`${text}\``;
  };
  return items
    .map(([what, ...examples]) => {
      if (examples.length === 0) return `- ${what}`;
      if (examples.length === 1) return `- ${what}:${code(examples[0], "  ")}`;
      return `- ${what}:\n${examples.map((e) => `  -${code(e, "    ")}`).join("\n")}`;
    })
    .join("\n");
}

function socket(path: string, spec: SocketSpec): Record<string, unknown> {
  const description = [
    `**WebSocket endpoint.** Connect with \`ws://HOST:PORT${path}\` (\`wss://\` behind TLS): an HTTP/1.1 ` +
      "`GET` with `Connection: Upgrade` and `Upgrade: websocket`, answered by `101 Switching Protocols`; " +
      "from then on the messages below flow both ways. (A plain `GET` without the upgrade, as " +
      '"Try it out" sends, answers 426.)',
    spec.about,
    `### Client messages\n\n${bullets(spec.client)}`,
    `### Server frames\n\n${bullets(spec.server)}`,
    ...(spec.notes ? [spec.notes] : []),
  ].join("\n\n");
  return {
    get: {
      tags: [TAG_WS],
      operationId: spec.id,
      summary: spec.summary,
      description,
      ...(spec.parameters && { parameters: spec.parameters }),
      responses: {
        "101": { description: "Switching Protocols: the connection is now a WebSocket carrying the messages above." },
        "426": detail("A plain HTTP GET without the WebSocket upgrade", "This path takes WebSocket upgrades"),
        ...spec.responses,
      },
      "x-websocket": true,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Shared example values

const TS = 1795254992.51515;
const DEVICES = ["m1", "stage", "temp"];
const META_FRAME = {
  connected: true,
  read_access: true,
  write_access: true,
  timestamp: TS,
  status: 0,
  severity: 0,
  precision: 3,
  setpoint_timestamp: null,
  setpoint_status: null,
  setpoint_severity: null,
  lower_ctrl_limit: -100,
  upper_ctrl_limit: 100,
  units: "mm",
  enum_strs: null,
  setpoint_precision: null,
  sub_type: "meta",
};
const VALUE_FLAGS = { connected: true, read_access: true, write_access: true };
function describeMotor(pv: string) {
  const limits = { lower_ctrl_limit: -100, upper_ctrl_limit: 100 };
  return { source: `PV:${pv}`, dtype: "number", shape: [], units: "mm", precision: 3, ...limits, enum_strs: null };
}
const M1_INFO = {
  name: "m1",
  type: "EpicsMotor",
  class: "ophyd.epics_motor.EpicsMotor",
  prefix: "SIM:m1",
  connected: true,
  description: {
    m1_user_readback: describeMotor("SIM:m1.RBV"),
    m1_user_setpoint: describeMotor("SIM:m1.VAL"),
  },
  values: { m1_user_readback: { value: 0.3, timestamp: TS }, m1_user_setpoint: { value: 0.3, timestamp: TS } },
};
const SET_VALUE = described({ type: ["string", "number"] }, "A number, or a string (numeric strings become numbers)");
const SECONDS: Schema = { type: "integer", minimum: 1 };
const NOT_JSON = "Invalid JSON body: Unexpected end of JSON input";
const PV_NOT_CONNECTED = json("The PV did not connect", oneKey("408 Error"), {
  "408 Error": "Device SIM:m1 is not connected",
});
/** What a request body can be refused for, besides its route's own answers. */
const BODY_ERRORS = { "413": responseRef("BodyTooLarge"), "422": responseRef("ValidationError") };
/** What the queue server's check before a set can answer. */
const QUEUE_ERRORS = { "423": responseRef("QueueBusy"), "503": responseRef("QueueUnreachable") };

// ---------------------------------------------------------------------------------------------
// REST paths

const LOAD_DEVICES = {
  post: rest({
    id: "loadDevices",
    summary: "Reload the device files",
    description:
      "Reads the device files of `--startup-dir` (`OAS_STARTUP_DIR`, `ophyd.startupDir`) again, all or nothing: " +
      "a file with an error leaves the registry as it was. Live device-socket subscriptions to a redefined " +
      "device move to its new signals; those to a removed device end with an error frame. " +
      "`added`, `changed` and `removed` are beamgate's additions. Other methods: 405.",
    responses: {
      "200": json(
        "Loaded",
        obj({
          success: bool,
          message: str,
          startup_directory: str,
          devices_loaded: strs,
          previous_device_count: int,
          new_device_count: int,
          added: strs,
          changed: strs,
          removed: strs,
        }),
        {
          success: true,
          message: "Successfully loaded 3 devices from startup directory",
          startup_directory: "/etc/beamgate/devices",
          devices_loaded: DEVICES,
          previous_device_count: 3,
          new_device_count: 3,
          added: ["stage"],
          changed: ["m1"],
          removed: ["mono"],
        },
      ),
      "400": json("The server was started without a startup path", obj({ error: str, message: str, suggestion: str }), {
        error: "No startup directory specified",
        message: "Server was not started with --startup-dir flag. Cannot load devices.",
        suggestion: "Restart server with: beamgate serve --startup-dir /path/to/device/files",
      }),
      "500": json(
        "A device file is wrong; the registry is unchanged",
        obj({
          error: str,
          message: described(str, "`<file>:<line>:<column>: <what>` or `<file>: <device.path>: <what>`"),
          startup_directory: str,
        }),
        {
          error: "Failed to load devices",
          message: "/etc/beamgate/devices/motors.yaml: m1.prefix: expected a non-empty string",
          startup_directory: "/etc/beamgate/devices",
        },
      ),
    },
  }),
};

const DEVICES_PATH = {
  get: rest({
    id: "listDevices",
    summary: "List the devices of the registry",
    responses: {
      "200": jsonCases("The registry's device names (always 200)", obj({ devices: strs, count: int, message: str }), {
        "Devices loaded": { devices: DEVICES, count: 3, message: "Found 3 devices in registry" },
        "Empty registry": {
          devices: [],
          count: 0,
          message: "No devices found in registry. Use --startup-dir to load devices from device files.",
        },
      }),
    },
  }),
  put: rest({
    id: "setDevice",
    summary: "Set a device (or one of its components)",
    description:
      "Sets `device` (or its `component`) to `set_value`. Without `timeout` the set is started and the answer " +
      "does not wait; with `timeout` (seconds) it waits for completion. Refused with 423 while the queue server " +
      "runs a plan (`OAS_REQUIRE_QSERVER` makes an unreachable queue server refuse too).",
    body: {
      schema: obj(
        {
          device: described(str, "Registry name"),
          set_value: SET_VALUE,
          component: described(orNull(str), "A component of the device, e.g. `x` of `stage`"),
          timeout: described(orNull(SECONDS), "Seconds to wait for completion"),
        },
        ["component", "timeout"],
      ),
      examples: {
        "Move m1 and wait up to 5 s": { device: "m1", set_value: 4, timeout: 5 },
        "Set a component, without waiting": { device: "stage", component: "x", set_value: 1.5 },
      },
    },
    responses: {
      "200": jsonCases(
        "Set started, or completed within the timeout",
        obj(
          {
            success: bool,
            message: str,
            device: str,
            component: orNull(str),
            value: SET_VALUE,
            note: str,
            timeout: int,
          },
          ["note", "timeout"],
        ),
        {
          "Without timeout": {
            success: true,
            message: "Set operation initiated for m1 to 4",
            device: "m1",
            component: null,
            value: 4,
            note: "No timeout specified - operation may complete asynchronously",
          },
          "With timeout": {
            success: true,
            message: "Successfully set m1 to 4 (with timeout 5s)",
            device: "m1",
            component: null,
            value: 4,
            timeout: 5,
          },
        },
      ),
      "400": jsonCases(
        "No such component, the target cannot be set, or the body is not JSON",
        { anyOf: [errorObj({ device_type: str, target_type: str }, ["device_type", "target_type"]), ref("Detail")] },
        {
          "Unknown component": { error: "Component 'y' not found on device 'stage'", device_type: "Device" },
          "Not settable": { error: "Target 'temp' does not support set operations", target_type: "EpicsSignalRO" },
          "Not JSON": { detail: NOT_JSON },
        },
      ),
      "404": json("No such device", errorObj({ available_devices: strs }), {
        error: "Device 'nosuch' not found in registry",
        available_devices: DEVICES,
      }),
      ...BODY_ERRORS,
      ...QUEUE_ERRORS,
      "500": json("The set failed", errorObj({ message: str, device: str, component: orNull(str), value: SET_VALUE }), {
        error: "Failed to set m1",
        message: "Put to ca://SIM:m1.VAL did not complete within 5000 ms",
        device: "m1",
        component: null,
        value: 4,
      }),
    },
  }),
};

const DEVICE_PATH = {
  get: rest({
    id: "getDevice",
    summary: "Describe one device and read its values",
    description: "ophyd's `describe()` and `read()` of the device's signals, read now.",
    parameters: [pathParam("device_name", "Registry name of the device", "m1")],
    responses: {
      "200": json("The device", ref("DeviceInfo"), M1_INFO),
      "404": json("No such device", errorObj(), { error: "Device 'nosuch' not found in registry" }),
    },
  }),
};

const DEVICES_INFO = {
  get: rest({
    id: "getDevicesInfo",
    summary: "Describe every device of the registry",
    responses: {
      "200": json(
        "Every device, by name",
        obj({ devices: { type: "object", additionalProperties: ref("DeviceInfo") }, count: int }),
        { devices: { m1: M1_INFO }, count: 1 },
      ),
    },
  }),
};

const PVS = {
  get: rest({
    id: "listPvs",
    summary: "List the PVs connected through this REST API",
    description: "The PVs connected with `POST /api/v1/pvs/{pv}` or `PUT /api/v1/pvs` (not those of pv-socket).",
    responses: {
      "200": json("The PV list", obj({ "PV List": strs }), { "PV List": ["SIM:m1", "SIM:m2"] }),
      "404": json("None connected yet", oneKey("404 Error"), { "404 Error": "No devices found" }),
    },
  }),
  put: rest({
    id: "setPv",
    summary: "Set a PV",
    description:
      "Connects the PV first if it is not in the list, then sets it, waiting up to `timeout` seconds (default 1) " +
      "for completion. Refused with 423 while the queue server runs a plan.",
    body: {
      schema: obj({ pv: str, set_value: SET_VALUE, timeout: orNull(SECONDS) }, ["timeout"]),
      examples: { "Set SIM:m1 to 3": { pv: "SIM:m1", set_value: 3 } },
    },
    responses: {
      "200": json("Accepted", oneKey("200"), { "200": "Instruction accepted, set value of SIM:m1 to 3." }),
      "400": detail("The body is not JSON", NOT_JSON),
      "408": PV_NOT_CONNECTED,
      ...BODY_ERRORS,
      ...QUEUE_ERRORS,
      "500": json("The set failed", oneKey("500 Error"), { "500 Error": "Could not move device SIM:m1" }),
    },
  }),
};

const PV_PATH = {
  get: rest({
    id: "readPv",
    summary: "Read a PV connected through this REST API",
    parameters: [pathParam("pv", "PV name", "SIM:m1")],
    responses: {
      "200": json(
        "The PV's reading",
        { type: "object", additionalProperties: obj({ value: {}, timestamp: orNull(num) }) },
        { "SIM:m1": { value: 0.3, timestamp: TS } },
      ),
      "404": json("Not connected through this API", oneKey("404 Error"), { "404 Error": "PV SIM:m1 not found" }),
    },
  }),
  post: rest({
    id: "connectPv",
    summary: "Connect a PV",
    parameters: [pathParam("pv", "PV name", "SIM:m1")],
    responses: {
      "201": json("Connected", oneKey("201"), { "201": "PV SIM:m1 is connected" }),
      "408": PV_NOT_CONNECTED,
      "409": json("Already connected", oneKey("409 Error"), {
        "409 Error": "PV SIM:m1 already exists, duplicate connections not allowed",
      }),
      "429": json("beamgate's bound on the PVs connected through this API", oneKey("429 Error"), {
        "429 Error": "At most 10000 PVs may be connected through the REST API",
      }),
    },
  }),
};

const QS = "http://localhost:60610";

const QUEUE_STATUS = {
  get: rest({
    id: "queueServerStatus",
    summary: "The Bluesky Queue Server's status",
    description:
      "Proxies the queue server's `GET /api/status` (`QSERVER_HTTP_SERVER_HOST`:`QSERVER_HTTP_SERVER_PORT`, " +
      "with `Authorization: Apikey QSERVER_HTTP_SERVER_SINGLE_USER_API_KEY`) and returns its JSON unchanged.",
    responses: {
      "200": json(
        "The queue server's status, as it sent it",
        { type: "object" },
        {
          msg: "RE Manager v0.0.21",
          items_in_queue: 0,
          items_in_history: 12,
          running_item_uid: null,
          manager_state: "idle",
          queue_stop_pending: false,
          worker_environment_exists: true,
          re_state: "idle",
        },
      ),
      "401": detail(
        "Refused by the queue server",
        "Authentication failed - check QSERVER_HTTP_SERVER_SINGLE_USER_API_KEY",
      ),
      "403": detail("Refused by the queue server", "Access forbidden - API key may not have sufficient permissions"),
      "502": detail("Its answer is not a JSON object", "Queue server returned a status that is not a JSON object"),
      "503": detail(
        "The queue server is unreachable",
        `Could not connect to queue server at ${QS}: Connection refused`,
      ),
      "504": detail("The queue server did not answer in time", `Timeout connecting to queue server at ${QS}`),
      default: detail("Another status of the queue server, passed on", "Queue server returned status 500: ..."),
    },
  }),
};

const socketEntry = (path: string, description: string) => ({
  endpoint: path,
  description,
  example_url: `ws://localhost:8001${path}`,
});

const WEBSOCKETS = {
  get: rest({
    id: "websocketsCatalogue",
    summary: "The WebSocket endpoints",
    description: "`base_url` and `example_url` name the host the request was sent to.",
    responses: {
      "200": json(
        "The catalogue",
        obj({
          websockets: {
            type: "object",
            additionalProperties: obj({ endpoint: str, description: str, example_url: str }),
          },
          connection_info: obj({ protocol: str, base_url: str, documentation: str }),
        }),
        {
          websockets: {
            pv_socket: socketEntry(
              "/api/v1/pv-socket",
              "ophyd-websocket pv-socket: subscribe, subscribeSafely, subscribeReadOnly, unsubscribe, set, refresh",
            ),
            device_socket: socketEntry(
              "/api/v1/device-socket",
              "ophyd-websocket device-socket: the devices of the device files, per signal, with set",
            ),
          },
          connection_info: { protocol: "WebSocket", base_url: "ws://localhost:8001", documentation: "/docs" },
        },
      ),
    },
  }),
};

// ---------------------------------------------------------------------------------------------
// beamgate's own routes

const HEALTH = {
  get: operation(TAG_BEAMGATE, {
    id: "health",
    summary: "Liveness",
    responses: {
      "200": json("Serving", obj({ status: str, version: str, uptime_s: int, connections: int, topics: int }), {
        status: "ok",
        version: "0.1.0",
        uptime_s: 3600,
        connections: 4,
        topics: 12,
      }),
    },
  }),
};

const INDEX = {
  get: operation(TAG_BEAMGATE, {
    id: "index",
    summary: "What this server offers",
    description: "JSON by default; a small HTML page with a live value when the `Accept` header asks for `text/html`.",
    responses: {
      "200": {
        description: "The index",
        content: {
          "application/json": {
            schema: obj({
              name: str,
              version: str,
              websockets: { type: "array", items: obj({ path: str, url: str, description: str }) },
              http: { type: "array", items: obj({ path: str, description: str }) },
              schemes: strs,
              examples: strs,
            }),
            example: {
              name: "beamgate",
              version: "0.1.0",
              websockets: [
                {
                  path: "/api/v1/pv-socket",
                  url: "ws://localhost:8001/api/v1/pv-socket",
                  description:
                    "ophyd-websocket pv-socket: subscribe, subscribeSafely, subscribeReadOnly, unsubscribe, set, refresh",
                },
              ],
              http: [
                { path: "/", description: "this index (JSON, or HTML for browsers)" },
                { path: "/health", description: "200 while serving" },
              ],
              schemes: ["ca", "sim", "loc"],
              examples: ["sim://sine", "sim://sinewave", "sim://enum", "loc://setpoint(5)"],
            },
          },
          "text/html": { schema: str },
        },
      },
    },
  }),
};

// ---------------------------------------------------------------------------------------------
// WebSocket endpoints

const OPHYD_COMMON =
  "Every message is one JSON text frame. The socket stays open after every error. Names may be any " +
  "beamgate topic (`ca://SIM:m1`, `sim://sine`, `loc://x(0)`) or a bare name, which takes `defaultScheme` " +
  "(`ca`); frames name it exactly as the client spelled it.";

const PV_SOCKET = socket("/api/v1/pv-socket", {
  id: "pvSocket",
  summary: "ophyd-websocket pv-socket: subscribe to and set PVs",
  about: OPHYD_COMMON,
  client: [
    ["`subscribe`, single form", { action: "subscribe", pv: "SIM:m1.RBV" }],
    ["`subscribe`, list form (`pvs` wins over `pv`)", { action: "subscribe", pvs: ["SIM:m1", "SIM:m1.RBV"] }],
    [
      "`subscribeSafely`: subscribe only once the PV has connected, within `timeout` seconds (default 1, at most 60)",
      { action: "subscribeSafely", pv: "SIM:m1", timeout: 2 },
    ],
    [
      "`subscribeReadOnly`: every frame says `write_access: false`, and `set` is refused",
      { action: "subscribeReadOnly", pv: "SIM:m1.RBV" },
    ],
    ["`unsubscribe` (single or list form)", { action: "unsubscribe", pv: "SIM:m1" }],
    ["`refresh`: re-send the current value of every subscribed PV", { action: "refresh" }],
    [
      "`set`: `timeout` in seconds (default 1, at most 300); numeric strings become numbers, `true`/`false` 1/0; " +
        "the write waits for completion without blocking the socket",
      { action: "set", pv: "SIM:m1", value: 3, timeout: 10 },
    ],
  ],
  server: [
    ["subscribe reply; the meta frame, then the value frame follow", { message: "Subscribed to SIM:m1" }],
    [
      "duplicate subscribe (counted per socket; the cached meta and value are sent again)",
      { message: "Already subscribed to SIM:m1" },
    ],
    [
      "list-form subscribe summary (`action` is `subscribe` for all three subscribe actions)",
      {
        action: "subscribe",
        subscribed: ["SIM:m1"],
        already_subscribed: ["SIM:m1.RBV"],
        failed: [
          {
            pv: "SIM:ghost",
            error: "Failed to connect to PV SIM:ghost: Failed to connect to SIM:ghost within 1.00 sec",
          },
        ],
      },
    ],
    ["unsubscribe replies", { message: "Unsubscribed from SIM:m1" }, { message: "Not subscribed to SIM:m1" }],
    ["list-form unsubscribe summary", { action: "unsubscribe", unsubscribed: ["SIM:m1"], not_subscribed: ["SIM:m2"] }],
    ["refresh reply, after the value frames", { message: "Refreshed all PVs" }],
    [
      "**meta** (connection info) on first connect, every disconnect (`connected: false`) and reconnect, access " +
        "or metadata change; enums have `enum_strs` and `null` precision, units and limits; read-only " +
        "subscriptions have no `setpoint_*` keys",
      { ...META_FRAME, obj: "SIM:m1", pv: "SIM:m1" },
    ],
    [
      "**value** on every new value (IOC time stamp, epoch seconds; arrays as arrays, enums as their index, " +
        "NaN and ±Infinity as `null`)",
      { pv: "SIM:m1", value: 7.25, timestamp: TS, ...VALUE_FLAGS },
    ],
    [
      "a set still moving after its timeout (the write was sent and goes on)",
      {
        message: "Set of SIM:m1 to 3 still in progress after 10.00 sec: the write was sent and its value frames follow",
      },
    ],
    [
      "errors, for example",
      { error: "No PV specified" },
      { error: "No PV name(s) specified" },
      { error: "PV SIM:m1 is not subscribed. Subscribe to PV before setting value." },
      { error: "Write access is not enabled for PV SIM:m1. Cannot set value." },
      { error: "Value must be a number. Could not set value of SIM:m1 to None" },
      { error: "Timeout must be a number. Could not set value of SIM:m1 to 3" },
      { error: "Value 1000 is outside of limits for PV SIM:m1. Low limit: -100.0, High limit: 100.0" },
      { error: "Could not set value of SIM:m1 to 3: <reason>" },
      { error: "Failed to connect to PV SIM:ghost: PV not found: SIM:ghost" },
      { error: "Invalid JSON format" },
      {
        error:
          "Received action: bogus, actions must be 'subscribe', 'unsubscribe', 'refresh', 'subscribeSafely', " +
          "'subscribeReadOnly', or 'set'. Example msg: {action: 'subscribe', pv: 'IOC:m1'}",
      },
    ],
  ],
  notes:
    "Order on a fresh subscribe: the reply, then meta, then value. A disconnection is reported by a meta frame " +
    "only. Subscriptions end when the socket closes.",
});

const DEVICE_SOCKET = socket("/api/v1/device-socket", {
  id: "deviceSocket",
  summary: "ophyd-websocket device-socket: subscribe to and set the devices of the device files",
  about:
    "The pv-socket actions with `device` / `devices` in place of `pv` / `pvs`, on the devices of the registry " +
    "(the device files of `--startup-dir`, reloaded by `POST /api/v1/load-devices`). Frames name the device " +
    "and the signal (ophyd's names: a motor streams `m1_user_readback`, and meta for each component). " +
    "Every message is one JSON text frame; the socket stays open after every error.",
  client: [
    ["`subscribe` (also `subscribeSafely`, `subscribeReadOnly`)", { action: "subscribe", device: "m1" }],
    ["list form", { action: "subscribe", devices: ["m1", "stage"] }],
    ["`unsubscribe`", { action: "unsubscribe", device: "m1" }],
    ["`refresh`", { action: "refresh" }],
    [
      "`set`: waits for completion (a motor: until it has arrived)",
      { action: "set", device: "m1", value: 4, timeout: 10 },
    ],
  ],
  server: [
    ["subscribe reply", { message: "Subscribed to device m1" }],
    ["duplicate subscribe", { message: "Already subscribed to m1" }],
    [
      "list-form summary",
      {
        action: "subscribe",
        subscribed: ["m1"],
        already_subscribed: [],
        failed: [{ device: "ghost", error: "not found in device registry" }],
      },
    ],
    [
      "unsubscribe replies (single, list form)",
      { message: "Unsubscribed from m1" },
      { message: "Not subscribed to m1" },
      { action: "unsubscribe", unsubscribed: ["m1"], not_subscribed: ["stage"] },
    ],
    ["refresh reply", { message: "Refreshed all devices" }],
    [
      "**meta** per signal, on connect and every disconnect and reconnect",
      { ...META_FRAME, obj: "m1", device: "m1", signal: "m1_user_setpoint" },
    ],
    [
      "**value** (`connected`: every signal of the device; `write_access`: the device can be set)",
      { device: "m1", signal: "m1_user_readback", value: 0.3, timestamp: TS, ...VALUE_FLAGS },
    ],
    ["set done", { message: "Successfully set m1 to 4" }],
    [
      "errors, for example",
      { error: "Device 'nosuch' not found in device registry", available_devices: DEVICES },
      { error: "No device name(s) specified" },
      { error: "No device name specified" },
      { error: "Device m1 is not subscribed. Subscribe to device before setting value." },
      { error: "Value 50 is outside of limits for device m1. Low limit: -5.0, High limit: 5.0" },
      { error: "Device temp cannot be set: a signal-ro has no setpoint" },
    ],
    [
      "after a reload removed the device",
      { error: "Device 'temp' not found in device registry: unsubscribed after the reload" },
    ],
  ],
});

const CAMERA_SOCKET = socket("/api/v1/camera-socket", {
  id: "cameraSocket",
  summary: "ophyd-websocket camera-socket: live areaDetector images as JPEG",
  about:
    "The first client message names the areaDetector PVs; missing keys derive from the image PV's prefix " +
    "(`MYDET:image1:ArrayData` → `MYDET:cam1:SizeX`), and the 13SIM1 PVs are the defaults. The server sends " +
    "a text settings frame when the settings are known or change, then **binary** frames, each one JPEG image " +
    "(the latest image wins for a slow client). Log normalization (default on): log(a+1) scaled to 0..255; " +
    "linear: a/max×255. Color modes Mono, RGB1, RGB2, RGB3; data types Int8 to Float64.",
  client: [
    [
      "first message: the PVs",
      {
        imageArray_PV: "13SIM1:image1:ArrayData",
        startX: "13SIM1:cam1:MinX",
        startY: "13SIM1:cam1:MinY",
        sizeX: "13SIM1:cam1:SizeX",
        sizeY: "13SIM1:cam1:SizeY",
        colorMode: "13SIM1:cam1:ColorMode",
        dataType: "13SIM1:cam1:DataType",
      },
    ],
    ["later: switch log normalization for this client", { toggleLogNormalization: false }],
  ],
  server: [
    ["settings (text)", { x: 512, y: 512, colorMode: "Mono", dataType: "UInt16" }],
    ["then **binary** frames, one JPEG image each"],
    ["toggle echo", { logNormalization: false }],
    [
      "setup errors, then the socket closes",
      { error: "sizeY pv could not connect" },
      { error: "The 13SIM1:image1:ArrayData pv could not connect" },
    ],
  ],
});

const QS_CONSOLE_SOCKET = socket("/api/v1/qs-console-socket", {
  id: "qsConsoleSocket",
  summary: "ophyd-websocket qs-console-socket: the Bluesky Queue Server's console output",
  about:
    "A bridge from the queue server's ZeroMQ console publisher (`tcp://ZMQ_HOST:ZMQ_PORT`, default " +
    "`localhost:60625`): each `QS_Console` message's payload is forwarded unchanged as one text frame. " +
    "`QS_Info` status messages are not forwarded. Client messages are ignored and nothing else is sent.",
  client: [["any text: ignored"]],
  server: [
    [
      "each console message",
      '{"time": 1795255101.82, "msg": "[I 2026-11-21 11:08:21,820 bluesky_queueserver.manager] Queue is empty\\n"}',
    ],
  ],
});

const PV_API = socket("/ws", {
  id: "pvApiSocket",
  summary: "PV streaming API: subscribe by pv_names, batched updates",
  about:
    "Subscribe to PVs by name, get their initial values, then batched updates of what changed (at most one " +
    "message per `pvApi.batchWindowMs`, 100 ms). Every message is one JSON object in one text frame; errors " +
    "never close the connection. Timestamps are ISO 8601 UTC with microseconds; `status`/`severity` are EPICS " +
    "alarm codes (a disconnected PV: 9/3 with its last value). See docs/pv-api.md.",
  client: [
    ["`subscribe`", { action: "subscribe", pv_names: ["sim://sine", "sim://enum"] }],
    ["`unsubscribe`", { action: "unsubscribe", pv_names: ["sim://enum"] }],
    ["`list_subscriptions`", { action: "list_subscriptions" }],
  ],
  server: [
    [
      "`subscribed`",
      {
        type: "subscribed",
        pv_names: ["sim://sine", "sim://enum"],
        initial_values: {
          "sim://sine": { value: 5, timestamp: "2026-11-21T11:08:51.602523Z", status: 0, severity: 0 },
          "sim://enum": { value: 0, timestamp: "2026-11-21T11:08:51.602792Z", status: 0, severity: 0 },
        },
      },
    ],
    [
      "`update`: one PV changed in the window",
      {
        type: "update",
        pv_name: "sim://sine",
        value: 2.5,
        timestamp: "2026-11-21T11:08:52.904151Z",
        status: 0,
        severity: 0,
      },
    ],
    [
      "`batch_update`: several changed (`skipped`: values replaced while the connection lagged)",
      {
        type: "batch_update",
        updates: [
          { pv_name: "sim://sine", value: 9.75, timestamp: "2026-11-21T11:08:53.601972Z", status: 3, severity: 2 },
          { pv_name: "sim://enum", value: 1, timestamp: "2026-11-21T11:08:53.504558Z", status: 0, severity: 0 },
        ],
      },
    ],
    ["`unsubscribed`", { type: "unsubscribed", pv_names: ["sim://enum"] }],
    ["`subscriptions`", { type: "subscriptions", pv_names: ["sim://sine"] }],
    ["`error`", { type: "error", message: "PV not found: INVALID:PV:NAME" }],
    ["`heartbeat` every 30 s", { type: "heartbeat", timestamp: "2026-11-21T11:08:52.374773Z" }],
  ],
});

const NATIVE = socket("/api/v1/stream/multi", {
  id: "nativeStream",
  summary: "beamgate's native protocol: any topic, JSON or msgpack, resume, puts",
  about:
    "One connection, any number of subscriptions under ids the client chooses; sequence numbers, and resume " +
    "for log topics; puts with an acknowledgement. With `envelope_format=msgpack` the server sends binary " +
    "msgpack maps (the client may send msgpack or JSON). The server speaks first (`connection_ack`). " +
    "Unknown fields in client messages are refused. See docs/protocol.md.",
  parameters: [
    {
      name: "envelope_format",
      in: "query",
      required: false,
      description: "The envelope of server messages",
      schema: { type: "string", enum: ["json", "msgpack"], default: "json" },
    },
  ],
  responses: {
    "400": detail("A bad `envelope_format`", 'envelope_format must be json or msgpack, not "xml"'),
  },
  client: [
    ["`subscribe`", { type: "subscribe", id: "s1", topic: "sim://sine" }],
    [
      "`subscribe` to a log topic, resuming",
      { type: "subscribe", id: 7, topic: "sim://console", start: 120, epoch: "4k3m5sPu", options: { conflate: true } },
    ],
    ["`unsubscribe`", { type: "unsubscribe", id: "s1" }],
    [
      "`put` (`timeout` in seconds, default 5)",
      { type: "put", id: "p1", topic: "loc://setpoint", value: 7.5, timeout: 2 },
    ],
    ["`ping`", { type: "ping", id: 1 }],
  ],
  server: [
    [
      "`connection_ack`, first",
      {
        type: "connection_ack",
        version: 1,
        server: "beamgate",
        server_version: "0.1.0",
        envelope_format: "json",
        capabilities: {
          schemes: ["sim", "loc"],
          envelopes: ["json", "msgpack"],
          messages: ["subscribe", "unsubscribe", "put", "ping"],
          max_subscriptions: 10000,
          max_pending_puts: 64,
          max_message_bytes: 65536,
        },
      },
    ],
    ["`status`", { id: "s1", type: "status", connected: true, read_access: true, write_access: false }],
    [
      "`meta`",
      {
        id: "s1",
        type: "meta",
        topic: "sim://sine",
        kind: "state",
        epoch: "1tRymvoe",
        dtype: "float64",
        units: "V",
        precision: 3,
        display: { low: -5, high: 5 },
        control: { low: -5, high: 5 },
        alarm_limits: { lolo: -4.5, low: -4, high: 4, hihi: 4.5 },
      },
    ],
    [
      "`data`",
      {
        id: "s1",
        type: "data",
        sequence: 2,
        timestamp: "2026-11-21T11:12:06.238045Z",
        value: 2.938926261462366,
        severity: 0,
        status: 0,
      },
    ],
    [
      "`skipped`",
      { id: "w", type: "skipped", reason: "conflated", from_sequence: 222, to_sequence: 3546, count: 3325 },
    ],
    ["`complete`, the answer to unsubscribe", { type: "complete", id: "s1" }],
    [
      "`put_result`",
      { type: "put_result", id: "p1", status: "done" },
      {
        type: "put_result",
        id: "p2",
        status: "refused",
        code: "BG_ERR_PUT_READ_ONLY",
        message: "sim://sine is not writable",
      },
    ],
    ["`pong`", { type: "pong", id: 1 }],
    [
      "`error`",
      {
        type: "error",
        id: "bad",
        code: "BG_ERR_TOPIC_INVALID",
        message: "sim://sine: expected sine(min, max, update_seconds) or sine(min, max, steps, update_seconds)",
      },
    ],
  ],
  notes: "Close codes: 1001 shutdown, 1007 invalid UTF-8, 1009 message too large, 4000 slow consumer.",
});

// ---------------------------------------------------------------------------------------------
// Components

const QUEUE_BLOCKED = obj({
  detail: obj({ error: str, running_item_uid: str, manager_state: str, message: str }, ["running_item_uid"]),
});

const COMPONENTS = {
  schemas: {
    Detail: obj({ detail: str }),
    DeviceInfo: obj(
      {
        name: str,
        type: described(str, "The class name"),
        class: described(str, "Module and class"),
        prefix: str,
        connected: bool,
        description: described({ type: "object" }, "ophyd's describe(), by signal"),
        description_error: str,
        values: described({ type: "object" }, "ophyd's read(): `{signal: {value, timestamp}}`"),
        value_error: str,
      },
      ["prefix", "connected", "description", "description_error", "values", "value_error"],
    ),
    ValidationError: obj(
      { type: str, loc: { type: "array", items: { type: ["string", "integer"] } }, msg: str, input: {} },
      ["input"],
    ),
    HTTPValidationError: obj({ detail: { type: "array", items: ref("ValidationError") } }),
  },
  responses: {
    ValidationError: json(
      "The body does not match its model (FastAPI's validation error)",
      ref("HTTPValidationError"),
      {
        detail: [
          { type: "value_error", loc: ["body", "set_value"], msg: "Field required: a string or a number", input: {} },
        ],
      },
    ),
    BodyTooLarge: detail("The body is too large", "Request body larger than 65536 bytes"),
    QueueBusy: jsonCases("The queue server is running or paused a plan: no sets meanwhile", QUEUE_BLOCKED, {
      "A plan is running": {
        detail: {
          error: "Device operation blocked - Queue server is currently running an experiment",
          running_item_uid: "5e0f1c2a-8d3b-4e7f-9a61-2b4c8d0e6f13",
          manager_state: "executing_queue",
          message: "Cannot modify device values while an experiment is running. Wait for the current item to complete.",
        },
      },
      Paused: {
        detail: {
          error: "Device operation blocked - Queue server state is 'paused'",
          manager_state: "paused",
          message: "Cannot modify device values while queue server is in a running or paused state.",
        },
      },
    }),
    QueueUnreachable: detail(
      "`OAS_REQUIRE_QSERVER` is on and the queue server cannot be reached (otherwise the set goes ahead; its " +
        "other refusals, such as 401 or 403, are passed on with their status)",
      `Could not connect to queue server at ${QS}: Connection refused`,
    ),
  },
};

/** The OpenAPI 3.1 document served at `GET /openapi.json`. */
export function openApiDocument(version: string): object {
  return {
    openapi: "3.1.0",
    info: {
      title: "beamgate",
      version,
      description:
        "One gateway streaming live control-system and experiment data over WebSockets, wire-compatible with " +
        "bluesky's ophyd-websocket. The WebSocket endpoints are listed as `GET` operations tagged " +
        '"WebSocket" (`x-websocket: true`): OpenAPI has no WebSocket operations; their descriptions give every ' +
        "message.",
      license: { name: "BSD-3-Clause", identifier: "BSD-3-Clause" },
    },
    tags: [
      { name: TAG_REST, description: "ophyd-websocket's REST API under `/api/v1`, with its bodies and status codes" },
      {
        name: TAG_WS,
        description: "WebSocket endpoints (an HTTP GET upgraded to a WebSocket: 101 Switching Protocols)",
      },
      { name: TAG_BEAMGATE, description: "beamgate's own routes" },
    ],
    paths: {
      "/api/v1/load-devices": LOAD_DEVICES,
      "/api/v1/devices": DEVICES_PATH,
      "/api/v1/devices/{device_name}": DEVICE_PATH,
      "/api/v1/devices-info": DEVICES_INFO,
      "/api/v1/pvs": PVS,
      "/api/v1/pvs/{pv}": PV_PATH,
      "/api/v1/queue-server/status": QUEUE_STATUS,
      "/api/v1/websockets": WEBSOCKETS,
      "/api/v1/pv-socket": PV_SOCKET,
      "/api/v1/device-socket": DEVICE_SOCKET,
      "/api/v1/camera-socket": CAMERA_SOCKET,
      "/api/v1/qs-console-socket": QS_CONSOLE_SOCKET,
      "/ws": PV_API,
      "/api/v1/stream/multi": NATIVE,
      "/health": HEALTH,
      "/": INDEX,
    },
    components: COMPONENTS,
  };
}
