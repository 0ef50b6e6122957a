/**
 * 10,000 channels from one client to one server over loopback: they all connect in bounded time,
 * read, monitor, and close without leaving sockets or timers behind.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CaClient, type ClientChannel } from "../../src/node/client.js";
import { ServerPv } from "../../src/node/pv.js";
import { CaServer } from "../../src/node/server.js";
import { freeUdpPort } from "../helpers/ports.js";

const CHANNELS = 10_000;
const CONNECT_LIMIT_MS = 20_000;

/** Resolves when `check` holds; rejects with `what()` after `ms`. */
async function waitFor(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Active handles and requests by kind (TCPSocketWrap, UDPWrap, Timeout...). */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** The kinds of which there are more now than in `before`. */
function grown(before: Map<string, number>): string[] {
  return [...resources()]
    .filter(([kind, n]) => n > (before.get(kind) ?? 0))
    .map(([kind, n]) => `${kind}: ${before.get(kind) ?? 0} -> ${n}`);
}

describe("CA at scale", () => {
  it(`connects, reads and monitors ${CHANNELS.toLocaleString("en")} channels, then leaks nothing`, async () => {
    const before = resources();
    const pvs = new Map<string, ServerPv>();
    for (let i = 0; i < CHANNELS; i++) pvs.set(`SCALE:${i}`, new ServerPv({ base: "LONG", value: Int32Array.of(i) }));
    // No beacons out, a repeater of its own: nothing heard from or told to other tests.
    const server = new CaServer({ pvs, port: 0, host: "127.0.0.1", beaconAddressList: [] });
    const { udpPort } = await server.listen();
    const client = new CaClient({ addressList: [`127.0.0.1:${udpPort}`], repeaterPort: await freeUdpPort() });
    let channels: ClientChannel[] = [];
    try {
      const started = performance.now();
      channels = [...pvs.keys()].map((name) => client.channel(name));
      const results = await Promise.allSettled(channels.map((c) => c.wait(CONNECT_LIMIT_MS)));
      const connectMs = performance.now() - started;
      const failed = results.filter((r) => r.status === "rejected").length;
      console.log(`# ${CHANNELS} channels connected in ${connectMs.toFixed(0)} ms (${failed} not connected)`);
      assert.equal(failed, 0, `${failed} channels did not connect within ${CONNECT_LIMIT_MS} ms`);

      const getStarted = performance.now();
      const values = await Promise.all(channels.map((c) => c.get({ timeoutMs: 10_000 })));
      console.log(`# ${CHANNELS} gets in ${(performance.now() - getStarted).toFixed(0)} ms`);
      values.forEach((v, i) => {
        assert.equal(v.value[0], i);
      });

      const monitorStarted = performance.now();
      const seen: number[][] = channels.map(() => []);
      channels.forEach((c, i) => {
        c.monitor((v) => seen[i]?.push(v.value[0] as number));
      });
      await waitFor(
        () => seen.every((s) => s.length >= 1),
        10_000,
        () => `${seen.filter((s) => s.length === 0).length} monitors without their first value`,
      );
      for (const [i, pv] of [...pvs.values()].entries()) pv.post(Int32Array.of(i + CHANNELS));
      await waitFor(
        () => seen.every((s) => s.length >= 2),
        10_000,
        () => `${seen.filter((s) => s.length < 2).length} monitors without the posted value`,
      );
      console.log(
        `# ${CHANNELS} monitors, first value and one post, in ${(performance.now() - monitorStarted).toFixed(0)} ms`,
      );
      seen.forEach((s, i) => {
        assert.deepEqual(s, [i, i + CHANNELS], `channel ${i}`);
      });
      for (const c of channels) c.close();
      const { channels: open, circuits, searching } = client.stats;
      assert.deepEqual({ open, circuits, searching }, { open: 0, circuits: 0, searching: 0 });
      await waitFor(
        () => server.connectionCount === 0,
        5000,
        () => `${server.connectionCount} circuits left on the server`,
      );
      for (const pv of pvs.values()) assert.equal(pv.listenerCount, 0);
    } finally {
      for (const c of channels) c.close();
      client.close();
      await server.close();
    }
    await waitFor(
      () => grown(before).length === 0,
      5000,
      () => `still active: ${grown(before).join(", ")}`,
    );
  });
});
