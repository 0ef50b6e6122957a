/**
 * One camera-socket connection. The first text message names the PVs (`settings.ts`); none within
 * `initTimeoutMs` means the 13SIM1 defaults. The socket then holds the shared feed of those PVs,
 * waits up to `connectTimeoutMs` for them (else `{"error": ...}` and close, as the real server),
 * and streams: settings frames as text, JPEGs as binary frames. `{"toggleLogNormalization": b}`
 * switches this socket only (the real server switches every socket) and is answered with
 * `{"logNormalization": b}`.
 *
 * Read access to every PV is checked for this socket's principal before it joins the shared feed,
 * and held: if the rules withdraw it, the socket gets `{"error": ...}` and closes.
 *
 * While the connection lags, only the newest JPEG waits for it: a slow client skips frames and
 * never holds a backlog.
 */
import type { ScopedHub } from "../../../core/scoped-hub.js";
import { asBeamgateError, type BeamgateError } from "../../../errors.js";
import type { Logger } from "../../../log.js";
import type { Connection } from "../../../transport/connection.js";
import type { Outgoing } from "../../../transport/outgoing.js";
import type { Session } from "../../../transport/protocol.js";
import type { CameraFeed } from "./camera-feed.js";
import type { CameraClient } from "./lane.js";
import { pyJson } from "./py-json.js";
import { type CameraPvs, DEFAULT_CAMERA_PVS, InitError, parseInit, SETTING_KEYS } from "./settings.js";

export interface CameraSessionOptions {
  /** How long the PVs may take to connect before the setup fails (ophyd's default: 1 s). */
  readonly connectTimeoutMs: number;
  /** How long the socket waits for the first message before using the 13SIM1 defaults. */
  readonly initTimeoutMs: number;
}

/** The feed of a set of PVs, held (created if needed) for one socket. */
export type FeedSource = (pvs: CameraPvs) => CameraFeed;

export class CameraSession implements Session, CameraClient {
  readonly #connection: Connection;
  readonly #feeds: FeedSource;
  readonly #options: CameraSessionOptions;
  readonly #log: Logger;
  readonly #hub: ScopedHub;
  /** Releases of the read access held on the feed's PVs. */
  #access: (() => void)[] = [];
  #state: "init" | "connecting" | "streaming" | "closed" = "init";
  #feed: CameraFeed | undefined;
  #logNormalization = true;
  /** The newest JPEG not sent because the connection lagged. */
  #held: Outgoing | undefined;
  readonly #initTimer: NodeJS.Timeout;

  constructor(connection: Connection, feeds: FeedSource, options: CameraSessionOptions, log: Logger, hub: ScopedHub) {
    this.#connection = connection;
    this.#hub = hub;
    this.#feeds = feeds;
    this.#options = options;
    this.#log = log;
    this.#initTimer = setTimeout(() => this.#begin(DEFAULT_CAMERA_PVS), options.initTimeoutMs);
    connection.onDrain = () => {
      const held = this.#held;
      this.#held = undefined;
      if (held) this.sendFrame(held);
    };
  }

  onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#state === "init") {
      clearTimeout(this.#initTimer);
      let pvs: CameraPvs;
      try {
        if (isBinary) throw new InitError("The first message must be JSON text naming the camera's PVs");
        pvs = parseInit(data.toString("utf8"));
      } catch (e) {
        this.fail(e instanceof InitError ? e.message : String(e));
        return;
      }
      this.#begin(pvs);
      return;
    }
    if (isBinary || this.#state === "closed") return;
    this.#clientMessage(data.toString("utf8"));
  }

  refuse(error: BeamgateError): void {
    if (this.#state !== "closed") this.#connection.sendText(pyJson({ error: error.message }));
  }

  onClose(): void {
    clearTimeout(this.#initTimer);
    const wasHolding = this.#state === "connecting" || this.#state === "streaming";
    this.#state = "closed";
    this.#held = undefined;
    if (wasHolding) this.#release();
    for (const release of this.#access.splice(0)) release();
  }

  sendText(message: Outgoing): void {
    if (this.#state !== "closed") this.#connection.send(message);
  }

  sendFrame(frame: Outgoing): void {
    if (this.#state !== "streaming") return;
    if (this.#connection.lagging) this.#held = frame;
    else this.#connection.send(frame);
  }

  /** Sends `{"error": text}` and closes, as the real server does for every setup error. */
  fail(error: string): void {
    if (this.#state === "closed") return;
    const wasHolding = this.#state === "connecting" || this.#state === "streaming";
    this.#state = "closed";
    if (wasHolding) this.#release();
    for (const release of this.#access.splice(0)) release();
    this.#connection.sendText(pyJson({ error }));
    this.#connection.flush(); // close() drops what is still queued
    this.#connection.close();
  }

  #begin(pvs: CameraPvs): void {
    this.#start(pvs).catch((e: unknown) => this.fail(`Unexpected error: ${(e as Error).message}`));
  }

  async #start(pvs: CameraPvs): Promise<void> {
    if (this.#state !== "init") return;
    try {
      for (const name of [pvs.imageArray, ...SETTING_KEYS.map((key) => pvs[key])]) {
        this.#access.push(this.#hub.watch(name, (error) => this.fail(error.message)).release);
      }
    } catch (e) {
      this.fail(asBeamgateError(e, "BG_ERR_TOPIC_FAILED").message);
      return;
    }
    this.#state = "connecting";
    const feed = this.#feeds(pvs);
    feed.hold();
    this.#feed = feed;
    const error = await feed.whenReady(this.#options.connectTimeoutMs);
    if (this.#state !== "connecting") return; // closed meanwhile: released already
    if (error !== undefined) {
      this.fail(error);
      return;
    }
    this.#state = "streaming";
    feed.join(this, this.#logNormalization);
  }

  #clientMessage(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.#log.debug("camera-socket: ignored a message that is not JSON");
      return;
    }
    if (typeof message !== "object" || message === null || !Object.hasOwn(message, "toggleLogNormalization")) {
      this.#log.debug("camera-socket: ignored a message without toggleLogNormalization");
      return;
    }
    // Python truthiness, as the shared-socket variant's bool(); the reply says what was applied.
    const on = pyTruthy((message as Record<string, unknown>).toggleLogNormalization);
    this.#logNormalization = on;
    this.#connection.sendText(pyJson({ logNormalization: on }));
    if (this.#state === "streaming") this.#feed?.setLog(this, on);
  }

  #release(): void {
    const feed = this.#feed;
    this.#feed = undefined;
    feed?.leave(this);
    feed?.release();
  }
}

function pyTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object" && value !== null) return Object.keys(value).length > 0;
  return Boolean(value);
}
