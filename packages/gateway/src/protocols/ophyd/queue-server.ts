/**
 * The Bluesky Queue Server's HTTP API, as ophyd-websocket asks it before a set: `GET /api/status`
 * with `Authorization: Apikey KEY`. While a plan runs (or the manager is running or paused) sets
 * are refused with 423; when the queue server cannot be reached, they are allowed unless
 * `queueServer.required`. Errors carry the status code and detail of the real server.
 */

export interface QueueServerOptions {
  readonly httpHost: string;
  readonly httpPort: number;
  readonly apiKey: string;
  readonly required: boolean;
}

/** An answer other than the status: the HTTP status and `detail` the REST routes return. */
export class QueueServerError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | Readonly<Record<string, unknown>>,
  ) {
    super(typeof detail === "string" ? detail : String(detail.error));
  }
}

/** Time allowed for the status request (the real server's is 10 s; a set should not wait that long). */
const STATUS_TIMEOUT_MS = 2_000;

const baseUrl = (o: QueueServerOptions) => `http://${o.httpHost}:${o.httpPort}`;

/** The queue server's status document; throws QueueServerError. */
export async function queueServerStatus(o: QueueServerOptions): Promise<Record<string, unknown>> {
  const base = baseUrl(o);
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${base}/api/status`, {
      headers: { authorization: `Apikey ${o.apiKey}`, accept: "application/json" },
      signal: AbortSignal.timeout(STATUS_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    if ((e as Error).name === "TimeoutError")
      throw new QueueServerError(504, `Timeout connecting to queue server at ${base}`);
    if (cause === "ECONNREFUSED") {
      throw new QueueServerError(503, `Could not connect to queue server at ${base}: Connection refused`);
    }
    throw new QueueServerError(503, `Network error connecting to queue server: ${cause ?? (e as Error).message}`);
  }
  if (response.status === 401) {
    throw new QueueServerError(401, "Authentication failed - check QSERVER_HTTP_SERVER_SINGLE_USER_API_KEY");
  }
  if (response.status === 403) {
    throw new QueueServerError(403, "Access forbidden - API key may not have sufficient permissions");
  }
  if (response.status !== 200) {
    throw new QueueServerError(response.status, `Queue server returned status ${response.status}: ${text}`);
  }
  try {
    const status = JSON.parse(text) as unknown;
    if (typeof status === "object" && status !== null && !Array.isArray(status))
      return status as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new QueueServerError(502, "Queue server returned a status that is not a JSON object");
}

/** Whether a set may go ahead now: undefined if so, else why not (423 while a plan runs). */
export async function queueServerRefusal(o: QueueServerOptions): Promise<QueueServerError | undefined> {
  let status: Record<string, unknown>;
  try {
    status = await queueServerStatus(o);
  } catch (e) {
    const error = e as QueueServerError;
    const unreachable = error.status === 503 || error.status === 504;
    return unreachable && !o.required ? undefined : error;
  }
  const state = typeof status.manager_state === "string" ? status.manager_state : "unknown";
  const running = status.running_item_uid;
  if (running !== null && running !== undefined) {
    return new QueueServerError(423, {
      error: "Device operation blocked - Queue server is currently running an experiment",
      running_item_uid: running,
      manager_state: state,
      message: "Cannot modify device values while an experiment is running. Wait for the current item to complete.",
    });
  }
  if (state === "running" || state === "paused") {
    return new QueueServerError(423, {
      error: `Device operation blocked - Queue server state is '${state}'`,
      manager_state: state,
      message: "Cannot modify device values while queue server is in a running or paused state.",
    });
  }
  return undefined;
}
