/**
 * The configuration schema: every option, its default and its description. Defaults come from
 * `limits.ts`; `docs/configuration.md` is checked against this schema by a test.
 */
import { z } from "zod";
import {
  DEFAULT_CA,
  DEFAULT_CAMERA,
  DEFAULT_DATASETS,
  DEFAULT_HUB,
  DEFAULT_LIMITS,
  DEFAULT_LOC,
  DEFAULT_NATIVE,
  DEFAULT_OPHYD,
  DEFAULT_PV_API,
  DEFAULT_QUEUE_SERVER,
  DEFAULT_TELEMETRY,
} from "../limits.js";
import { ProxyTrust } from "../security/forwarded.js";
import { parseOrigins } from "../security/origins.js";

// Capped at 2^31-1: Node's timers overflow past it, and no size limit needs more.
const INT32_MAX = 2 ** 31 - 1;
const positiveInt = (def: number, description: string) =>
  z.number().int().positive().max(INT32_MAX).default(def).describe(description);
const nonNegativeInt = (def: number, description: string) =>
  z.number().int().nonnegative().max(INT32_MAX).default(def).describe(description);

export const SCHEMES = ["ca", "sim", "loc"] as const;

export const ConfigSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1").describe("Address to listen on (an IP address or host name)."),
    port: z.number().int().min(0).max(65535).default(8001).describe("TCP port to listen on (0 picks a free port)."),
    allowedOrigins: z
      .string()
      .default("")
      .refine(
        (text) => {
          try {
            parseOrigins(text);
            return true;
          } catch {
            return false;
          }
        },
        { message: "must be a comma-separated list of origins or a JSON array of strings" },
      )
      .describe(
        "Browser origins (besides beamgate's own and loopback pages) that may call the REST routes and open WebSockets: `https://app.example.org,https://other.example.org`, a JSON array, or `*` for any.",
      ),
    trustProxy: z
      .string()
      .default("")
      .superRefine((spec, ctx) => {
        try {
          new ProxyTrust(spec);
        } catch (e) {
          ctx.addIssue({ code: "custom", message: (e as Error).message });
        }
      })
      .describe(
        "Reverse proxies whose `X-Forwarded-For`, `-Proto` and `-Host` headers are believed: a comma list of addresses or CIDR ranges, or `loopback` (empty: none; the peer's own address counts).",
      ),
    tls: z
      .object({
        cert: z.string().default("").describe("PEM certificate chain file: serve https and wss (with `tls.key`)."),
        key: z.string().default("").describe("PEM private key file of `tls.cert`."),
      })
      .strict()
      .refine((t) => (t.cert === "") === (t.key === ""), { message: "tls.cert and tls.key go together" })
      .prefault({}),
    security: z
      .object({
        anonymous: z
          .enum(["auto", "on", "off"])
          .default("auto")
          .describe(
            "Whether clients without credentials are served (as the `anonymous` principal, under the rules): `auto` when listening on loopback only or with `insecurePublic`, `on`, `off`.",
          ),
        insecurePublic: z
          .boolean()
          .default(false)
          .describe(
            "Allow listening beyond loopback with no authentication configured: everyone reads, nobody writes.",
          ),
        apiKey: z
          .string()
          .default("")
          .describe(
            "A single API key from configuration with every scope (as Tiled's single-user key); clients present it as `Authorization: Apikey KEY`.",
          ),
        apiKeysFile: z
          .string()
          .default("")
          .describe(
            "File of API keys managed with `beamgate keys` (hashed; reread when it changes); empty: no key store.",
          ),
        rulesFile: z
          .string()
          .default("")
          .describe(
            "Access rules file (docs/security.md), reread on SIGHUP and when it changes; empty: the built-in rules (or `rules`).",
          ),
        rules: z
          .string()
          .default("")
          .describe("Access rules given inline, in the rules-file syntax, when `rulesFile` is empty."),
        auditFile: z
          .string()
          .default("")
          .describe("File the audit log (one JSON line per write) is appended to; empty: standard error."),
        jwt: z
          .object({
            secret: z.string().default("").describe("HS256 secret that signs bearer tokens (JWT)."),
            jwksFile: z
              .string()
              .default("")
              .describe("JWKS file of the public keys (RS*, ES*, EdDSA) that sign bearer tokens."),
            jwksUrl: z
              .string()
              .default("")
              .describe("JWKS URL of the identity provider's public keys (fetched and cached)."),
            issuer: z.string().default("").describe("Required `iss` claim of bearer tokens (empty: not checked)."),
            audience: z.string().default("").describe("Required `aud` claim of bearer tokens (empty: not checked)."),
            userClaim: z.string().default("sub").describe("Claim naming the user."),
            groupsClaim: z
              .string()
              .default("groups")
              .describe("Claim listing the user's groups (an array or a space-separated string)."),
            scopesClaim: z
              .string()
              .default("scope")
              .describe("Claim listing the token's scopes (`read`, `write`; an array or a space-separated string)."),
            defaultScopes: z
              .string()
              .default("read")
              .describe("Scopes of a token without the scopes claim (comma list)."),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    defaultScheme: z
      .enum(SCHEMES)
      .default("ca")
      .describe("Scheme given to bare PV names such as `SIM:m1` (becomes `ca://SIM:m1`)."),
    logLevel: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info")
      .describe("Least severe log level written to standard error."),
    hub: z
      .object({
        lingerMs: nonNegativeInt(
          DEFAULT_HUB.lingerMs,
          "How long a topic stays open upstream after its last subscriber leaves, in ms.",
        ),
        maxTopics: positiveInt(DEFAULT_HUB.maxTopics, "Topics open at once, gateway-wide."),
        logWindowMaxRecords: positiveInt(DEFAULT_HUB.logWindowMaxRecords, "Records each log topic retains for replay."),
        logWindowMaxBytes: positiveInt(DEFAULT_HUB.logWindowMaxBytes, "Bytes each log topic retains for replay."),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        maxInboundFrameBytes: positiveInt(
          DEFAULT_LIMITS.maxInboundFrameBytes,
          "Largest inbound WebSocket message; larger ones close the socket with 1009.",
        ),
        outboundSoftLimitBytes: positiveInt(
          DEFAULT_LIMITS.outboundSoftLimitBytes,
          "Queued outbound bytes per connection past which state topics are conflated (latest value wins).",
        ),
        outboundHardLimitBytes: positiveInt(
          DEFAULT_LIMITS.outboundHardLimitBytes,
          "Queued outbound bytes per connection past which it is closed with 4000 (slow consumer).",
        ),
        maxSubscriptionsPerConnection: positiveInt(
          DEFAULT_LIMITS.maxSubscriptionsPerConnection,
          "Subscriptions one connection may hold at once.",
        ),
        maxPendingPutsPerConnection: positiveInt(
          DEFAULT_LIMITS.maxPendingPutsPerConnection,
          "Puts one connection may have waiting for completion at once; more are refused.",
        ),
        heartbeatIntervalMs: positiveInt(
          DEFAULT_LIMITS.heartbeatIntervalMs,
          "Interval of WebSocket pings; a peer that missed the previous pong is dropped.",
        ),
        closeGraceMs: positiveInt(
          DEFAULT_LIMITS.closeGraceMs,
          "How long a closing socket may take to answer the close frame before it is destroyed, in ms.",
        ),
        messagesPerSecond: positiveInt(
          DEFAULT_LIMITS.messagesPerSecond,
          "Inbound messages per second one WebSocket connection may send on average; past it a message is refused with `BG_ERR_LIMIT_RATE`, and a connection that goes on is closed with 1008.",
        ),
        messageBurst: positiveInt(
          DEFAULT_LIMITS.messageBurst,
          "Inbound messages one connection may send at once above the average rate (the token bucket's size).",
        ),
        maxConnectionsPerIp: positiveInt(
          DEFAULT_LIMITS.maxConnectionsPerIp,
          "WebSocket connections open at once from one client address; more are refused with 429.",
        ),
        maxConnectionsPerPrincipal: positiveInt(
          DEFAULT_LIMITS.maxConnectionsPerPrincipal,
          "WebSocket connections open at once for one user or API key (anonymous clients count per address only); more are refused with 429.",
        ),
        handshakeTimeoutMs: positiveInt(
          DEFAULT_LIMITS.handshakeTimeoutMs,
          "Time a client has to send its request headers, WebSocket handshakes included, in ms.",
        ),
        authTimeoutMs: positiveInt(
          DEFAULT_LIMITS.authTimeoutMs,
          "Time a WebSocket client that brought no credentials (where they are needed) has to send its `auth` message before it is closed with 4001, in ms.",
        ),
      })
      .strict()
      .refine((l) => l.outboundSoftLimitBytes < l.outboundHardLimitBytes, {
        message: "outboundSoftLimitBytes must be less than outboundHardLimitBytes",
        path: ["outboundSoftLimitBytes"],
      })
      .prefault({}),
    pvApi: z
      .object({
        batchWindowMs: nonNegativeInt(
          DEFAULT_PV_API.batchWindowMs,
          "Window in which `/ws` updates are combined into one `batch_update` (0 sends each update at once).",
        ),
        heartbeatIntervalMs: positiveInt(
          DEFAULT_PV_API.heartbeatIntervalMs,
          "Interval of `/ws` JSON `heartbeat` messages, in ms.",
        ),
        connectTimeoutMs: positiveInt(
          DEFAULT_PV_API.connectTimeoutMs,
          "How long `/ws` waits for a PV's first value before answering `subscribed` without it, in ms.",
        ),
      })
      .strict()
      .prefault({}),
    native: z
      .object({
        defaultPutTimeoutMs: positiveInt(
          DEFAULT_NATIVE.defaultPutTimeoutMs,
          "Put timeout when a `put` message gives none, in ms.",
        ),
        maxPutTimeoutMs: positiveInt(
          DEFAULT_NATIVE.maxPutTimeoutMs,
          "Longest put timeout a client may ask for, in ms.",
        ),
      })
      .strict()
      .prefault({}),
    ophyd: z
      .object({
        startupDir: z
          .string()
          .default("")
          .describe(
            "Device file (YAML or JSON), or a folder of them, defining the devices of `/api/v1/device-socket` (empty: no devices).",
          ),
        connectTimeoutMs: positiveInt(
          DEFAULT_OPHYD.connectTimeoutMs,
          "How long `subscribeSafely` (ophyd sockets) waits for a PV to connect, in ms, unless the message gives a `timeout`.",
        ),
        maxSetTimeoutMs: positiveInt(
          DEFAULT_OPHYD.maxSetTimeoutMs,
          "Longest `set` timeout an ophyd socket client may ask for, in ms (the default timeout is 1 s, as in ophyd-websocket).",
        ),
        retryNotFoundMs: positiveInt(
          DEFAULT_OPHYD.retryNotFoundMs,
          "How often a PV that was not found is subscribed again while an ophyd socket holds it, in ms.",
        ),
        camera: z
          .object({
            jpegQuality: z
              .number()
              .int()
              .min(1)
              .max(100)
              .default(DEFAULT_CAMERA.jpegQuality)
              .describe("JPEG quality of `/api/v1/camera-socket` frames, 1 to 100."),
            maxDimension: positiveInt(
              DEFAULT_CAMERA.maxDimension,
              "Largest width or height of a camera frame sent; larger images are scaled down, keeping their aspect ratio.",
            ),
            initTimeoutMs: positiveInt(
              DEFAULT_CAMERA.initTimeoutMs,
              "How long a camera socket waits for its first message before it watches the 13SIM1 detector, in ms.",
            ),
            normalizeThreads: nonNegativeInt(
              DEFAULT_CAMERA.normalizeThreads,
              "Worker threads normalizing camera frames (0: one per core but one, from 1 to 4).",
            ),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    queueServer: z
      .object({
        consoleHost: z
          .string()
          .min(1)
          .default(DEFAULT_QUEUE_SERVER.consoleHost)
          .describe(
            "Host of the Bluesky Queue Server's ZeroMQ console publisher, relayed by `/api/v1/qs-console-socket`.",
          ),
        consolePort: z
          .number()
          .int()
          .min(1)
          .max(65535)
          .default(DEFAULT_QUEUE_SERVER.consolePort)
          .describe("Port of the Bluesky Queue Server's ZeroMQ console publisher."),
        httpHost: z
          .string()
          .min(1)
          .default(DEFAULT_QUEUE_SERVER.httpHost)
          .describe("Host of the Bluesky Queue Server's HTTP API, asked before every set whether a plan is running."),
        httpPort: z
          .number()
          .int()
          .min(1)
          .max(65535)
          .default(DEFAULT_QUEUE_SERVER.httpPort)
          .describe("Port of the Bluesky Queue Server's HTTP API."),
        apiKey: z
          .string()
          .default("test")
          .describe("Single-user API key sent to the queue server's HTTP API (`Authorization: Apikey KEY`)."),
        required: z
          .boolean()
          .default(false)
          .describe(
            "Refuse sets while the queue server cannot be reached (otherwise they are allowed then); sets are always refused while it runs a plan.",
          ),
      })
      .strict()
      .prefault({}),
    ca: z
      .object({
        searchTimeoutMs: positiveInt(
          DEFAULT_CA.searchTimeoutMs,
          "How long a `ca://` name may take to connect before clients are told `PV not found`, in ms (the name is still searched, with back-off).",
        ),
        maxUnresolved: positiveInt(
          DEFAULT_CA.maxUnresolved,
          "Names not found that stay searched after their last subscriber left; the oldest are dropped past it.",
        ),
        simIoc: z
          .enum(["auto", "on", "off"])
          .default("auto")
          .describe(
            "Run the simulated beamline IOC in-process: `auto` when `EPICS_CA_ADDR_LIST` is not set (then `ca://` searches only it), `on` always (added to the address list), `off` never.",
          ),
        simIocPrefix: z.string().default("SIM:").describe("Prefix of the in-process simulated IOC's PVs."),
        simIocCameraPrefix: z
          .string()
          .default("13SIM1:")
          .describe("Prefix of the in-process simulated IOC's camera PVs."),
        simIocPort: nonNegativeInt(
          DEFAULT_CA.simIocPort,
          "Port the in-process simulated IOC tries first (CA TCP and UDP); a free port is used if it is taken.",
        ),
      })
      .strict()
      .prefault({}),
    dataDir: z
      .string()
      .min(1)
      .default("beamgate-data")
      .describe(
        "Directory of what beamgate stores (telemetry sessions, under `telemetry/`); relative to the working directory.",
      ),
    datasets: z
      .object({
        maxBodyBytes: positiveInt(
          DEFAULT_DATASETS.maxBodyBytes,
          "Largest request body of the dataset (Tiled) write routes, such as an array write, in bytes.",
        ),
        chunkDurationMs: positiveInt(
          DEFAULT_DATASETS.chunkDurationMs,
          "A dataset node's stream log goes to a new chunk file after this many ms of writing.",
        ),
        chunkMaxBytes: positiveInt(
          DEFAULT_DATASETS.chunkMaxBytes,
          "A dataset node's stream log goes to a new chunk file once the current one reaches this many bytes.",
        ),
        maxInlinePayloadBytes: nonNegativeInt(
          DEFAULT_DATASETS.maxInlinePayloadBytes,
          "Default `max_payload_bytes` of dataset stream subscriptions: an array write with a larger payload streams as an `array-ref` (a URI to GET the bytes from) instead of its bytes; 0: always a reference.",
        ),
        applyDelayMs: nonNegativeInt(
          DEFAULT_DATASETS.applyDelayMs,
          "How long, in ms, a dataset write (durable in the node's log, published and answered) may wait to be applied to the node's Zarr or Arrow files together with the writes that follow it; reads through beamgate always see it. 0: each write at once.",
        ),
        maxUnappliedBytes: positiveInt(
          DEFAULT_DATASETS.maxUnappliedBytes,
          "Writes to a dataset node wait while more than this many bytes of its logged writes are not yet applied to its files (bounds memory when the disk falls behind).",
        ),
        retainLogBytes: nonNegativeInt(
          DEFAULT_DATASETS.retainLogBytes,
          "Replay window of each dataset node by size: its oldest log files are dropped while the newer ones hold at least this many bytes (so it keeps about this much, plus one file), once what they hold is applied to the node's data and fsynced. 0: no size limit. Either limit drops a file; with both 0 everything is kept. A log file holds up to `chunkMaxBytes` or `chunkDurationMs` of writing.",
        ),
        retainLogMs: nonNegativeInt(
          DEFAULT_DATASETS.retainLogMs,
          "Replay window of each dataset node by age: its log files last written longer ago than this many ms are dropped, once what they hold is applied and fsynced (never the file being written). 0: no age limit.",
        ),
      })
      .strict()
      .prefault({}),
    telemetry: z
      .object({
        demo: z
          .boolean()
          .default(true)
          .describe(
            "Run a simulated vehicle session (`demo-...`), live on the RTA stream and native topics; a start replaces the previous demo's data.",
          ),
        backfillMs: nonNegativeInt(
          DEFAULT_TELEMETRY.backfillMs,
          "How far behind the leading edge a new RTA stream subscription is back-filled, in ms (0: none).",
        ),
        backfillMaxBytes: positiveInt(
          DEFAULT_TELEMETRY.backfillMaxBytes,
          "At most this many bytes of back-fill per RTA stream subscribe: the newest records of the window (keep it under `limits.outboundHardLimitBytes`).",
        ),
        burstBytes: positiveInt(
          DEFAULT_TELEMETRY.burstBytes,
          "Uncompressed bytes at which an RTA stream burst is sent at once.",
        ),
        burstFlushMs: nonNegativeInt(
          DEFAULT_TELEMETRY.burstFlushMs,
          "How long an RTA stream burst may wait for more data, in ms (0: until the end of the event-loop turn).",
        ),
        timeRangeIntervalMs: positiveInt(
          DEFAULT_TELEMETRY.timeRangeIntervalMs,
          "Interval of time-range updates on the RTA stream, in ms.",
        ),
        chunkDurationMs: positiveInt(
          DEFAULT_TELEMETRY.chunkDurationMs,
          "A session's data goes to a new chunk file after this many ms of writing.",
        ),
        chunkMaxBytes: positiveInt(
          DEFAULT_TELEMETRY.chunkMaxBytes,
          "A session's data goes to a new chunk file once the current one reaches this many bytes.",
        ),
        readChunkBytes: positiveInt(
          DEFAULT_TELEMETRY.readChunkBytes,
          "Data bytes per chunk of an RTA REST data read (before LZ4).",
        ),
        maxBodyBytes: positiveInt(
          DEFAULT_TELEMETRY.maxBodyBytes,
          "Largest request body of the RTA write routes (a data append), in bytes.",
        ),
      })
      .strict()
      .prefault({}),
    loc: z
      .object({
        maxPvs: positiveInt(DEFAULT_LOC.maxPvs, "Local (`loc://`) PVs that may exist at once."),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
