/**
 * A hub fed by a TestSource that the test drives, and optionally one protocol served over a real
 * socket: for protocol tests that need upstream behaviour sim:// and loc:// cannot show.
 */
import { Hub } from "../../src/core/hub.js";
import { DEFAULT_LIMITS } from "../../src/limits.js";
import { createLogger } from "../../src/log.js";
import { HttpServer } from "../../src/transport/http-server.js";
import type { ProtocolAdapter } from "../../src/transport/protocol.js";
import { openSecurity } from "./security.js";
import { TestSource } from "./test-source.js";

export function testHub(): { hub: Hub; source: TestSource } {
  const hub = new Hub({
    defaultScheme: "test",
    lingerMs: 0,
    maxTopics: 10,
    logWindowMaxRecords: 100,
    logWindowMaxBytes: 1e6,
  });
  const source = new TestSource();
  hub.addSource(source);
  return { hub, source };
}

export interface SourceServer {
  readonly hub: Hub;
  readonly source: TestSource;
  /** `ws://127.0.0.1:port` + the adapter's path. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startSourceServer(
  adapter: (hub: Hub) => ProtocolAdapter & { stop?(): void },
): Promise<SourceServer> {
  const { hub, source } = testHub();
  const protocol = adapter(hub);
  const server = new HttpServer({
    limits: { ...DEFAULT_LIMITS },
    log: createLogger("silent"),
    routes: new Map(),
    adapters: [protocol],
    ...(await openSecurity()),
  });
  const { port } = await server.listen("127.0.0.1", 0);
  return {
    hub,
    source,
    url: `ws://127.0.0.1:${port}${protocol.path}`,
    async close() {
      protocol.stop?.();
      await server.close();
      hub.close();
    },
  };
}
