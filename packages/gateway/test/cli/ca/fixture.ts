/**
 * For the `beamgate ca` tests: a CA server on a free loopback port serving one PV of each kind the
 * tools print, every value stamped at `STAMP_MS`, and the command run as a user runs it, in a
 * child process pointed at that server (and nothing else) through the EPICS_CA_* environment.
 */
import { after, before } from "node:test";
import { CaServer, ServerPv, stringToChars } from "@beamgate/epics-ca";
import { DEMO_LIMITS } from "../../helpers/ca-limits.js";

/** 2024-01-02 03:04:05.678 UTC; the children run with TZ=UTC. */
export const STAMP_MS = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
export const STAMP = "2024-01-02 03:04:05.678000";
export const LONG_TEXT = "a long string, longer than the 40 characters of a DBR_STRING";

/** Completion time of the slow PVs' writes. */
export const SLOW_WRITE_MS = 300;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function makePvs(): Map<string, ServerPv> {
  const slow = () =>
    new ServerPv({
      base: "DOUBLE",
      value: Float64Array.of(0),
      // A write completes when the "motor" arrives.
      onWrite: async (pv, value) => {
        await sleep(SLOW_WRITE_MS);
        pv.post(value, {}, STAMP_MS);
      },
    });
  const pvs = new Map<string, ServerPv>([
    [
      "TEST:ai",
      new ServerPv({
        base: "DOUBLE",
        value: Float64Array.of(1.5),
        units: "mm",
        precision: 3,
        limits: DEMO_LIMITS,
      }),
    ],
    ["TEST:hihi", new ServerPv({ base: "DOUBLE", value: Float64Array.of(12) })],
    ["TEST:mode", new ServerPv({ base: "ENUM", value: Uint16Array.of(1), enumStrings: ["Off", "On"] })],
    ["TEST:str", new ServerPv({ base: "STRING", value: ['say "hi"\tthere'] })],
    ["TEST:long", new ServerPv({ base: "CHAR", value: stringToChars(LONG_TEXT), maxCount: 80 })],
    ["TEST:wave", new ServerPv({ base: "DOUBLE", value: Float64Array.of(0.5, 1, 1.5, 2) })],
    ["TEST:ro", new ServerPv({ base: "LONG", value: Int32Array.of(7), writable: false })],
    ["TEST:noread", new ServerPv({ base: "DOUBLE", value: Float64Array.of(1), readable: false })],
    ["TEST:motor", slow()],
    ["TEST:stuck", slow()],
  ]);
  for (const pv of pvs.values()) pv.post(pv.data.value, {}, STAMP_MS);
  pvs.get("TEST:hihi")?.post(Float64Array.of(12), { status: 3, severity: 2 }, STAMP_MS);
  return pvs;
}

export interface TestServer {
  readonly server: CaServer;
  readonly pvs: Map<string, ServerPv>;
  /** `127.0.0.1:<TCP port>`, as a client names the server. */
  readonly address: string;
  /** The environment that points a client at this server only. */
  readonly env: Record<string, string>;
}

export async function startServer(pvs = makePvs()): Promise<TestServer> {
  const server = new CaServer({ pvs, port: 0 });
  const { tcpPort, udpPort } = await server.listen();
  return {
    server,
    pvs,
    address: `127.0.0.1:${tcpPort}`,
    env: { EPICS_CA_ADDR_LIST: `127.0.0.1:${udpPort}`, EPICS_CA_AUTO_ADDR_LIST: "NO" },
  };
}

/** A server for the tests of the calling suite, started before them and closed after. */
export function serverForSuite(): () => TestServer {
  let test: TestServer | undefined;
  before(async () => {
    test = await startServer();
  });
  after(() => test?.server.close());
  return () => {
    if (!test) throw new Error("the suite's server is not started");
    return test;
  };
}

import { runBeamgate } from "../../helpers/cli.js";

export { type Run, runBeamgate as run } from "../../helpers/cli.js";

/** Runs to the end: exit code, stdout, stderr. */
export async function result(args: readonly string[], env: Record<string, string> = {}) {
  const p = runBeamgate(args, env);
  const code = await p.exited;
  return { code, out: p.out(), err: p.err() };
}
