/**
 * The catalogue of beamgate error codes. Every error a client or an operator can see has a stable
 * `BG_ERR_<AREA>_<WHAT>` code here; messages may change, codes may not. `docs/errors.md` lists the
 * same codes (a test keeps the two in step). Where an error ends a WebSocket, `closeCode` is the
 * close code used.
 */

interface ErrorSpec {
  /** Default human-readable message. */
  readonly message: string;
  /** WebSocket close code when this error ends a connection. */
  readonly closeCode?: number;
  /** HTTP status when this error refuses a request or an upgrade. */
  readonly httpStatus?: number;
}

export const ERRORS = {
  BG_ERR_CONFIG_INVALID: { message: "Invalid configuration" },
  BG_ERR_CONFIG_FILE: { message: "Cannot read the configuration file" },
  BG_ERR_CLI_USAGE: { message: "Invalid command line" },
  BG_ERR_CONFIG_INSECURE: { message: "Refusing to listen beyond loopback without authentication" },

  BG_ERR_AUTH_REQUIRED: { message: "Authentication required", closeCode: 4001, httpStatus: 401 },
  BG_ERR_AUTH_INVALID: { message: "Invalid credentials", closeCode: 4003, httpStatus: 401 },
  BG_ERR_AUTH_EXPIRED: { message: "Credentials expired", closeCode: 4001, httpStatus: 401 },
  BG_ERR_AUTH_REVOKED: { message: "API key revoked", closeCode: 4001, httpStatus: 401 },
  BG_ERR_AUTH_TIMEOUT: { message: "No credentials within the time allowed", closeCode: 4001 },
  BG_ERR_AUTH_FORBIDDEN: { message: "Not allowed", closeCode: 4003, httpStatus: 403 },
  BG_ERR_ORIGIN_FORBIDDEN: { message: "Origin not allowed", httpStatus: 403 },

  BG_ERR_TOPIC_INVALID: { message: "Malformed topic name" },
  BG_ERR_TOPIC_NOT_FOUND: { message: "Topic not found" },
  BG_ERR_TOPIC_FAILED: { message: "The topic's source failed" },
  BG_ERR_TOPIC_LIMIT: { message: "Too many topics are open" },

  BG_ERR_PUT_READ_ONLY: { message: "The topic is not writable" },
  BG_ERR_PUT_INVALID_VALUE: { message: "The value does not fit the topic's type" },
  BG_ERR_PUT_TIMEOUT: { message: "The put did not complete in time" },
  BG_ERR_PUT_FAILED: { message: "The put failed" },

  BG_ERR_PROTO_INVALID_JSON: { message: "The message is not valid JSON" },
  BG_ERR_PROTO_INVALID_MSGPACK: { message: "The message is not valid msgpack" },
  BG_ERR_PROTO_INVALID_MESSAGE: { message: "The message has missing or wrongly typed fields" },
  BG_ERR_PROTO_UNKNOWN_TYPE: { message: "Unknown message type" },
  BG_ERR_PROTO_BINARY_UNSUPPORTED: { message: "Binary frames are not accepted on this connection" },
  BG_ERR_PROTO_DUPLICATE_ID: { message: "A subscription with this id already exists" },
  BG_ERR_PROTO_UNKNOWN_ID: { message: "No subscription has this id" },

  BG_ERR_TELEMETRY_NOT_FOUND: { message: "No such telemetry session or config", httpStatus: 404 },
  BG_ERR_TELEMETRY_INVALID: { message: "The telemetry write is invalid" },
  BG_ERR_TELEMETRY_CONFLICT: {
    message: "The telemetry write conflicts with what is stored (overlap, ended session, published config)",
    httpStatus: 409,
  },
  BG_ERR_TELEMETRY_STORAGE: { message: "The telemetry store could not write to disk", httpStatus: 500 },

  BG_ERR_DATASET_NOT_FOUND: { message: "No such dataset node", httpStatus: 404 },
  BG_ERR_DATASET_INVALID: { message: "The dataset request is invalid" },
  BG_ERR_DATASET_CONFLICT: { message: "The dataset write conflicts with the node's state", httpStatus: 409 },
  BG_ERR_DATASET_STORAGE: { message: "The dataset store could not write to disk", httpStatus: 500 },

  BG_ERR_LIMIT_SUBSCRIPTIONS: { message: "Too many subscriptions on this connection" },
  BG_ERR_LIMIT_PENDING_PUTS: { message: "Too many puts waiting for completion on this connection" },
  BG_ERR_LIMIT_BODY_TOO_LARGE: { message: "Request body too large", httpStatus: 413 },
  BG_ERR_LIMIT_FRAME_TOO_LARGE: { message: "Inbound frame too large", closeCode: 1009 },
  BG_ERR_LIMIT_RATE: { message: "Too many messages per second", closeCode: 1008 },
  BG_ERR_LIMIT_CONNECTIONS: { message: "Too many connections", closeCode: 1008, httpStatus: 429 },

  BG_ERR_CONN_SLOW_CONSUMER: {
    message: "Outbound buffer over its hard limit: the client is not reading",
    closeCode: 4000,
  },
  BG_ERR_CONN_SHUTDOWN: { message: "Server shutting down", closeCode: 1001 },
  BG_ERR_CONN_HEARTBEAT: { message: "No pong to the last ping" },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** Every error beamgate raises on purpose. `code` is stable; `message` is for people. */
export class BeamgateError extends Error {
  override readonly name = "BeamgateError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].message, options);
    this.code = code;
  }

  /** The WebSocket close code for this error, if it ends a connection. */
  get closeCode(): number | undefined {
    const spec: ErrorSpec = ERRORS[this.code];
    return spec.closeCode;
  }

  /** The HTTP status for this error when it refuses a request (400 when the catalogue gives none). */
  get httpStatus(): number {
    const spec: ErrorSpec = ERRORS[this.code];
    return spec.httpStatus ?? 400;
  }
}

/** Wrap anything thrown into a BeamgateError so callers can branch on a code. */
export function asBeamgateError(e: unknown, fallback: ErrorCode): BeamgateError {
  if (e instanceof BeamgateError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new BeamgateError(fallback, message, { cause: e });
}
