/**
 * `/api/v1/camera-socket` (specs/ophyd-websocket.md, camera-socket): live areaDetector images as
 * JPEG binary frames. Sockets naming the same PVs share one `CameraFeed`; normalization threads
 * and the encoder options are shared by all feeds.
 */
import os from "node:os";
import type { Hub } from "../../../core/hub.js";
import type { Logger } from "../../../log.js";
import type { ProtocolAdapter } from "../../../transport/protocol.js";
import { CameraFeed } from "./camera-feed.js";
import { FrameRenderer } from "./renderer.js";
import { CameraSession } from "./session.js";
import type { CameraPvs } from "./settings.js";
import { NormalizePool } from "./worker-pool.js";

export interface CameraSocketOptions {
  /** How long the PVs may take to connect before the socket reports a setup error (ophyd: 1 s). */
  readonly connectTimeoutMs: number;
  /** How long a socket waits for its first message before watching the 13SIM1 defaults. */
  readonly initTimeoutMs: number;
  /** JPEG quality, 1-100. */
  readonly jpegQuality: number;
  /** Largest width or height sent; larger images are scaled down, keeping their aspect ratio. */
  readonly maxDimension: number;
  /** Threads normalizing frames (they start on demand and stop when idle). */
  readonly normalizeThreads: number;
}

export const DEFAULT_CAMERA_SOCKET: CameraSocketOptions = {
  connectTimeoutMs: 1_000,
  initTimeoutMs: 2_000,
  jpegQuality: 90,
  maxDimension: 2048,
  normalizeThreads: Math.max(1, Math.min(4, os.availableParallelism() - 1)),
};

/** Normalization threads stop after this long without a frame. */
const THREADS_IDLE_MS = 30_000;

export type CameraSocketAdapter = ProtocolAdapter & {
  /** The live feeds by PV set, for tests and benchmarks. */
  readonly feeds: ReadonlyMap<string, CameraFeed>;
  /** Stops the normalization threads; call when the server closes. */
  stop(): Promise<void>;
};

export function cameraSocketProtocol(
  hub: Hub,
  options: Partial<CameraSocketOptions>,
  log: Logger,
): CameraSocketAdapter {
  const o = { ...DEFAULT_CAMERA_SOCKET, ...options };
  const pool = new NormalizePool(o.normalizeThreads, THREADS_IDLE_MS);
  const renderer = new FrameRenderer(pool, { quality: o.jpegQuality, maxDimension: o.maxDimension });
  const feeds = new Map<string, CameraFeed>();
  const feedOf = (pvs: CameraPvs): CameraFeed => {
    const key = JSON.stringify(pvs);
    let feed = feeds.get(key);
    if (!feed) {
      feed = new CameraFeed(hub, pvs, renderer, log, (closed) => {
        if (feeds.get(key) === closed) feeds.delete(key);
      });
      feeds.set(key, feed);
    }
    return feed;
  };
  return {
    path: "/api/v1/camera-socket",
    description: "ophyd-websocket camera-socket: areaDetector images as binary JPEG frames",
    feeds,
    accept: (connection, _url, _request, access) => new CameraSession(connection, feedOf, o, log, hub.as(access)),
    stop: () => pool.close(),
  };
}
