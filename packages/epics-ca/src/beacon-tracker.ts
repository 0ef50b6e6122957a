/**
 * Tells from the beacons (RSRV_IS_UP) a client hears when a server has appeared, restarted or come
 * back into reach, the "beacon anomalies" for which libca searches again at once for every name
 * not yet found. No I/O: the caller passes the time.
 */

interface ServerBeacons {
  lastId: number;
  lastMs: number;
  intervalMs: number | undefined;
}

/** A gap this many times the previous interval means the server was out of reach (libca: 3.25). */
const OUT_OF_REACH_FACTOR = 3.25;

export class BeaconTracker {
  readonly #servers = new Map<string, ServerBeacons>();
  readonly #maxServers: number;

  constructor(maxServers = 10_000) {
    this.#maxServers = maxServers;
  }

  /**
   * Records a beacon from `server` (its address and TCP port); true when it is an anomaly: a server
   * not heard before, a beacon id that went back (a restart counts from 0 again), or a silence far
   * longer than the server's beacon interval. A repeated id (a second route) is not.
   */
  observe(server: string, beaconId: number, nowMs: number): boolean {
    const known = this.#servers.get(server);
    if (!known) {
      if (this.#servers.size >= this.#maxServers) {
        const oldest = this.#servers.keys().next().value as string;
        this.#servers.delete(oldest);
      }
      this.#servers.set(server, { lastId: beaconId, lastMs: nowMs, intervalMs: undefined });
      return true;
    }
    if (beaconId === known.lastId) return false;
    const interval = nowMs - known.lastMs;
    const anomaly =
      beaconId < known.lastId || (known.intervalMs !== undefined && interval > known.intervalMs * OUT_OF_REACH_FACTOR);
    known.intervalMs = interval;
    known.lastId = beaconId;
    known.lastMs = nowMs;
    // Most recently heard last, so the first key is the one to forget when full.
    this.#servers.delete(server);
    this.#servers.set(server, known);
    return anomaly;
  }
}
