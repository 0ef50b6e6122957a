/**
 * Gateway limits, with units in their names, and their defaults in one place. Components receive
 * resolved values (from `config/`) and never read the environment themselves.
 */

export const DEFAULT_LIMITS = {
  /** Largest inbound WebSocket message accepted; larger ones close the socket with 1009. */
  maxInboundFrameBytes: 64 * 1024,
  /** Outbound bytes queued for one connection past which state topics are conflated. */
  outboundSoftLimitBytes: 1024 * 1024,
  /** Outbound bytes queued for one connection past which it is closed as a slow consumer. */
  outboundHardLimitBytes: 8 * 1024 * 1024,
  /** Subscriptions one connection may hold at once. */
  maxSubscriptionsPerConnection: 10_000,
  /** Puts one connection may have waiting for completion at once. */
  maxPendingPutsPerConnection: 64,
  /** Interval of WebSocket pings; a peer that has not answered the previous one is dropped. */
  heartbeatIntervalMs: 30_000,
  /** How long a closing connection may take to answer the close frame before it is destroyed. */
  closeGraceMs: 1_000,
  /** Inbound messages per second one connection may send on average (token bucket). */
  messagesPerSecond: 1_000,
  /**
   * Inbound messages one connection may send at once above the average rate: as many as the
   * subscriptions it may hold, so a display can subscribe one message per PV on opening.
   */
  messageBurst: 10_000,
  /** WebSocket connections open at once from one client address. */
  maxConnectionsPerIp: 2_048,
  /** WebSocket connections open at once for one authenticated principal (a user or an API key). */
  maxConnectionsPerPrincipal: 2_048,
  /** Time a client has to send its request headers (WebSocket handshakes included). */
  handshakeTimeoutMs: 10_000,
  /** Time a WebSocket client without credentials in its handshake has to send its `auth` message. */
  authTimeoutMs: 10_000,
} as const;

export type Limits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number };

export const DEFAULT_HUB = {
  /** How long a topic stays open upstream after its last subscriber leaves. */
  lingerMs: 2_000,
  /** Topics open at once, hub-wide. */
  maxTopics: 100_000,
  /** Records a log topic retains for replay. */
  logWindowMaxRecords: 10_000,
  /** Bytes a log topic retains for replay. */
  logWindowMaxBytes: 16 * 1024 * 1024,
} as const;

export type HubLimits = { -readonly [K in keyof typeof DEFAULT_HUB]: number };

export const DEFAULT_PV_API = {
  /** Window in which `/ws` updates are combined into one message. */
  batchWindowMs: 100,
  /** Interval of `/ws` JSON heartbeat messages. */
  heartbeatIntervalMs: 30_000,
  /** How long `subscribed` waits for first values. */
  connectTimeoutMs: 2_000,
} as const;

export const DEFAULT_NATIVE = {
  defaultPutTimeoutMs: 5_000,
  maxPutTimeoutMs: 300_000,
} as const;

export const DEFAULT_LOC = {
  /** Local PVs that may exist at once (they live until the gateway stops). */
  maxPvs: 10_000,
} as const;

export const DEFAULT_CA = {
  /** How long a `ca://` name may take to connect before it is "not found". */
  searchTimeoutMs: 1_500,
  /** Names not found that stay searched (with back-off) after their topic ended. */
  maxUnresolved: 10_000,
  /** Port the in-process simulated IOC tries first; a free port if it is taken. */
  simIocPort: 5064,
} as const;

export const DEFAULT_OPHYD = {
  /** How long `subscribeSafely` waits for a PV to connect (ophyd's connection timeout). */
  connectTimeoutMs: 1_000,
  /** Longest `set` timeout a client may ask for. */
  maxSetTimeoutMs: 300_000,
  /** How often a PV that was not found is subscribed again while a socket holds it. */
  retryNotFoundMs: 5_000,
} as const;

export const DEFAULT_QUEUE_SERVER = {
  /** The Bluesky Queue Server's ZeroMQ console publisher (ophyd-websocket's ZMQ_HOST / ZMQ_PORT). */
  consoleHost: "localhost",
  consolePort: 60625,
  /** Its HTTP API, asked before a set whether a plan is running (QSERVER_HTTP_SERVER_HOST / _PORT). */
  httpHost: "localhost",
  httpPort: 60610,
} as const;

export const DEFAULT_CAMERA = {
  /** JPEG quality: at 1024x1024, 75/90/100 give 135/305/674 KiB for 11/12/18 ms of encoding. */
  jpegQuality: 90,
  maxDimension: 2048,
  /** How long a camera socket waits for its first message before it uses the 13SIM1 defaults. */
  initTimeoutMs: 2_000,
  /** 0: automatic (one thread per core but one, from 1 to 4). */
  normalizeThreads: 0,
} as const;

export const DEFAULT_TELEMETRY = {
  /** How far behind the leading edge a new stream subscription is back-filled. */
  backfillMs: 10_000,
  /** At most this much back-fill per subscribe (the newest records of the window): half the outbound hard limit. */
  backfillMaxBytes: 4 * 1024 * 1024,
  /** Uncompressed bytes at which a stream burst is sent at once (RTA sizes bursts toward 64 KiB). */
  burstBytes: 64 * 1024,
  /** How long a stream burst may wait for more data; 0: until the end of the event-loop turn. */
  burstFlushMs: 0,
  /** Interval of time-range updates on the stream (10 Hz). */
  timeRangeIntervalMs: 100,
  /** A session's data goes to a new chunk file after this long of writing ... */
  chunkDurationMs: 60_000,
  /** ... or past this size. */
  chunkMaxBytes: 64 * 1024 * 1024,
  /** Bytes of data per chunk of a REST data read (before LZ4). */
  readChunkBytes: 256 * 1024,
  /** Largest request body of the telemetry write routes (a data append). */
  maxBodyBytes: 16 * 1024 * 1024,
} as const;

export const DEFAULT_DATASETS = {
  /** Largest request body of the dataset write routes (an array write). */
  maxBodyBytes: 256 * 1024 * 1024,
  /** A node's stream log goes to a new chunk file after this long of writing ... */
  chunkDurationMs: 3_600_000,
  /** ... or past this size. */
  chunkMaxBytes: 64 * 1024 * 1024,
  /** Array writes with a larger payload stream as `array-ref` (per subscription: `max_payload_bytes`). */
  maxInlinePayloadBytes: 1024 * 1024,
  /** How long a logged write may wait to be applied to the Zarr or Arrow files with those that follow it. */
  applyDelayMs: 50,
  /** Writes to a node wait while more than this is logged but not yet applied to its files. */
  maxUnappliedBytes: 64 * 1024 * 1024,
  /** A node's replay window: no size limit (its oldest files go while the newer hold this many bytes) ... */
  retainLogBytes: 0,
  /** ... and a week (files last written longer ago go). */
  retainLogMs: 7 * 24 * 3_600_000,
} as const;
