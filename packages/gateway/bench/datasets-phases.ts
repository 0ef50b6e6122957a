/**
 * The datasets bench's latency phase, run from the bench's main process against the gateway child:
 * paced small appends (Tiled's `PATCH array/full?offset=&shape=&extend=true`) and one msgpack
 * subscriber, on one clock; and, as the floor of any HTTP round trip to this server, paced
 * `GET /api/v1/` (the server-info document: no storage at all).
 */

import type http from "node:http";
import { type Percentiles, percentiles } from "@beamgate/bench-kit";
import { appendPath, createArray, f64Body, OCTET, Subscriber } from "./datasets-data.js";
import { httpRequest } from "./rta-data.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LatencyResult {
  readonly rate: number;
  readonly elements: number;
  readonly sent: number;
  /** Appends answered 200 whose update the subscriber never received. */
  readonly lost: number;
  readonly errors: number;
  /** Updates that came out of sequence order. */
  readonly outOfOrder: number;
  readonly patch: Percentiles;
  readonly endToEnd: Percentiles;
}

/** `count` requests paced at `rate`/s, each timed from just before it is written to its answer's last byte. */
async function paced(
  rate: number,
  count: number,
  warm: number,
  send: (i: number, measured: boolean) => Promise<void>,
): Promise<void> {
  const pending: Promise<void>[] = [];
  const began = performance.now();
  for (let i = 0; i < count + warm; i++) {
    const wait = began + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(send(i, i >= warm));
  }
  await Promise.all(pending);
}

/** `GET /api/v1/` round trips, paced like the appends: what HTTP alone costs on this server. */
export async function measureHttpFloor(agent: http.Agent, port: number, rate: number, count: number) {
  const times: number[] = [];
  let errors = 0;
  await paced(rate, count, Math.ceil(count / 10), async (_i, measured) => {
    const t0 = performance.now();
    const reply = await httpRequest(agent, port, "GET", "/api/v1/");
    if (reply.status !== 200) errors++;
    else if (measured) times.push(performance.now() - t0);
  });
  if (errors) throw new Error(`GET /api/v1/: ${errors} failed`);
  return percentiles(times);
}

/**
 * Appends of `elements` float64s to a new empty array (created as Tiled's client creates an
 * appendable one: shape [0], chunks [[0]]), open loop at `rate`/s for `seconds` after
 * `warmupSeconds` not counted. For each: from just before the request is written to its answer
 * (PATCH round trip) and to the subscriber holding the decoded update (matched by its offset).
 */
export async function measureLatency(
  agent: http.Agent,
  port: number,
  o: { elements: number; rate: number; seconds: number; warmupSeconds: number },
): Promise<LatencyResult> {
  const key = "bench-latency";
  await createArray(agent, port, key, 0, 0);
  const sentAt = new Map<number, number>();
  const endToEnd: number[] = [];
  const patch: number[] = [];
  const sub = await Subscriber.open(port, key, (m) => {
    const at = performance.now();
    const offset = (m.offset as number[] | null)?.[0] ?? -1;
    const t0 = sentAt.get(offset);
    if (t0 === undefined) return;
    sentAt.delete(offset);
    endToEnd.push(at - t0);
  });
  const body = f64Body(o.elements);
  const total = Math.round(o.rate * o.seconds);
  const warm = Math.round(o.rate * o.warmupSeconds);
  let errors = 0;
  let counted = 0;
  await paced(o.rate, total, warm, async (i, measured) => {
    const offset = i * o.elements;
    const t0 = performance.now();
    if (measured) sentAt.set(offset, t0);
    try {
      const reply = await httpRequest(agent, port, "PATCH", appendPath(key, offset, o.elements), body, OCTET);
      if (reply.status !== 200) errors++;
      else if (measured) {
        patch.push(performance.now() - t0);
        counted++;
      }
    } catch {
      errors++;
    }
  });
  for (let waited = 0; sentAt.size > 0 && waited < 3000; waited += 20) await sleep(20);
  await sub.close();
  return {
    rate: o.rate,
    elements: o.elements,
    sent: total,
    lost: counted - endToEnd.length,
    errors,
    outOfOrder: sub.counts.outOfOrder,
    patch: percentiles(patch),
    endToEnd: percentiles(endToEnd),
  };
}
