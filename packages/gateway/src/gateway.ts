/**
 * Assembles a gateway from its configuration: the hub and its sources, the protocol adapters, and
 * the HTTP server. `startGateway` is what `beamgate serve` and the tests run.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type { Environment } from "@beamgate/epics-ca";
import type { Config } from "./config/schema.js";
import { Hub } from "./core/hub.js";
import { DatasetStore } from "./datasets/datasets.js";
import { DeviceRegistry } from "./devices/registry.js";
import { BeamgateError } from "./errors.js";
import { serveIndex } from "./index-page.js";
import { createLogger, type Logger } from "./log.js";
import { nativeProtocol } from "./protocols/native/adapter.js";
import { deviceSocketProtocol, pvSocketProtocol } from "./protocols/ophyd/adapter.js";
import { apiDocsRoutes } from "./protocols/ophyd/api-docs.js";
import { cameraSocketProtocol } from "./protocols/ophyd/camera/adapter.js";
import { qsConsoleProtocol } from "./protocols/ophyd/qs-console.js";
import { queueServerRefusal } from "./protocols/ophyd/queue-server.js";
import { ophydRestRoutes } from "./protocols/ophyd/rest.js";
import { pvApiProtocol } from "./protocols/pv-api/adapter.js";
import { rtaStreamProtocol } from "./protocols/rta/adapter.js";
import { rtaRestRoutes } from "./protocols/rta/rest.js";
import { tiledRoutes } from "./protocols/tiled/routes.js";
import { tiledStreamProtocol } from "./protocols/tiled/stream-adapter.js";
import { checkExposure } from "./security/exposure.js";
import { ProxyTrust } from "./security/forwarded.js";
import { Guard } from "./security/guard.js";
import { OriginPolicy, parseOrigins } from "./security/origins.js";
import type { SimIoc } from "./sim-ioc/sim-ioc.js";
import { startChannelAccess } from "./sources/ca/channel-access.js";
import { LocSource } from "./sources/loc/source.js";
import { RtaSource } from "./sources/rta/source.js";
import { SimSource } from "./sources/sim/source.js";
import { openTelemetry, type Telemetry } from "./telemetry/start.js";
import { HttpServer, publicRoute, type Route, sendJson } from "./transport/http-server.js";
import { VERSION } from "./version.js";

export interface Gateway {
  readonly address: AddressInfo;
  /** `http://host:port` */
  readonly url: string;
  readonly hub: Hub;
  /** The devices of `/api/v1/device-socket` (`ophyd.startupDir`). */
  readonly devices: DeviceRegistry;
  /** The in-process simulated IOC, when it runs (`ca.simIoc`). */
  readonly simIoc: SimIoc | undefined;
  readonly server: HttpServer;
  /** Authentication, access rules (`guard.reload()` on SIGHUP) and the audit log. */
  readonly guard: Guard;
  /** Telemetry sessions (RTA), their recorder and the demo session. */
  readonly telemetry: Telemetry;
  /** Graceful stop: WebSockets closed with 1001, sources stopped. */
  close(): Promise<void>;
}

export async function startGateway(
  config: Config,
  log: Logger = createLogger(config.logLevel),
  env: Environment = process.env,
): Promise<Gateway> {
  checkExposure(config);
  const proxy = new ProxyTrust(config.trustProxy);
  const tls = readTls(config.tls);
  const devices = new DeviceRegistry(config.ophyd.startupDir);
  if (devices.path !== undefined) {
    try {
      await devices.reload();
    } catch (e) {
      throw new BeamgateError("BG_ERR_CONFIG_INVALID", `ophyd.startupDir: ${(e as Error).message}`);
    }
  }
  const channelAccess = await startChannelAccess(config.ca, env, log);
  const simulated = channelAccess.simIoc ? [config.ca.simIocPrefix, config.ca.simIocCameraPrefix] : [];
  let guard: Guard;
  try {
    guard = await Guard.create(config, log, [
      "sim://",
      "loc://",
      "admin://",
      "rta://",
      "rta-config://",
      "dataset://",
      ...simulated.map((p) => `ca://${p}`),
    ]);
  } catch (e) {
    await channelAccess.close();
    throw e;
  }
  let telemetry: Telemetry;
  let datasets: DatasetStore;
  try {
    telemetry = await openTelemetry(resolve(config.dataDir, "telemetry"), config.telemetry, log);
    datasets = await openDatasets(resolve(config.dataDir, "datasets"), config.datasets, log);
  } catch (e) {
    await Promise.all([channelAccess.close(), guard.stop()]);
    throw e;
  }
  const hub = new Hub({ defaultScheme: config.defaultScheme, ...config.hub });
  hub.addSource(channelAccess.source);
  hub.addSource(new SimSource());
  hub.addSource(new LocSource(config.loc));
  hub.addSource(new RtaSource(telemetry.store));

  const ophyd = {
    ...config.ophyd,
    maxSubscriptions: config.limits.maxSubscriptionsPerConnection,
    maxPendingSets: config.limits.maxPendingPutsPerConnection,
    refuseSet: () => queueServerRefusal(config.queueServer),
  };
  const qsConsole = qsConsoleProtocol(
    { host: config.queueServer.consoleHost, port: config.queueServer.consolePort },
    log,
  );
  const { normalizeThreads, ...camera } = config.ophyd.camera;
  const cameraSocket = cameraSocketProtocol(
    hub,
    {
      ...camera,
      connectTimeoutMs: config.ophyd.connectTimeoutMs,
      ...(normalizeThreads > 0 ? { normalizeThreads } : {}),
    },
    log,
  );
  const pvApi = pvApiProtocol(hub, {
    ...config.pvApi,
    maxSubscriptions: config.limits.maxSubscriptionsPerConnection,
  });
  const rtaStream = rtaStreamProtocol(telemetry.store, config.telemetry);
  const adapters = [
    pvApi,
    nativeProtocol(hub, {
      ...config.native,
      datasets,
      maxInlinePayloadBytes: config.datasets.maxInlinePayloadBytes,
      serverVersion: VERSION,
      maxSubscriptions: config.limits.maxSubscriptionsPerConnection,
      maxPendingPuts: config.limits.maxPendingPutsPerConnection,
      maxMessageBytes: config.limits.maxInboundFrameBytes,
    }),
    pvSocketProtocol(hub, ophyd),
    deviceSocketProtocol(hub, devices, ophyd),
    qsConsole,
    cameraSocket,
    rtaStream,
    tiledStreamProtocol(datasets, { maxInlinePayloadBytes: config.datasets.maxInlinePayloadBytes }),
  ];
  const started = Date.now();
  let server: HttpServer | undefined;
  const index = { version: VERSION, schemes: hub.schemes, adapters };
  const routes = new Map<string, Route>([
    ["/", publicRoute((req, res) => serveIndex(index, req, res))],
    [
      "/health",
      publicRoute((_req, res) =>
        sendJson(res, 200, {
          status: "ok",
          version: VERSION,
          uptime_s: Math.round((Date.now() - started) / 1000),
          connections: server?.connectionCount ?? 0,
          topics: hub.topicCount,
        }),
      ),
    ],
    ...ophydRestRoutes({
      hub,
      registry: devices,
      log,
      queueServer: config.queueServer,
      connectTimeoutMs: config.ophyd.connectTimeoutMs,
      maxPvs: config.limits.maxSubscriptionsPerConnection,
      maxSetTimeoutMs: config.ophyd.maxSetTimeoutMs,
      maxPendingSets: config.limits.maxPendingPutsPerConnection,
      maxBodyBytes: config.limits.maxInboundFrameBytes,
      sockets: adapters,
    }),
    ...apiDocsRoutes(VERSION),
    ...rtaRestRoutes({
      store: telemetry.store,
      log,
      maxBodyBytes: config.telemetry.maxBodyBytes,
      readChunkBytes: config.telemetry.readChunkBytes,
      hubOf: (access) => hub.as(access),
      record: (identity, topics, scoped) => telemetry.recorder.start(identity, topics, scoped),
    }),
    ...tiledRoutes({
      store: datasets,
      log,
      maxBodyBytes: config.datasets.maxBodyBytes,
      authenticationRequired: () => !guard.authenticator.anonymousAllowed,
    }),
  ]);
  const origins = new OriginPolicy(parseOrigins(config.allowedOrigins), !guard.authenticator.anonymousAllowed);
  server = new HttpServer({ limits: config.limits, log, adapters, routes, origins, guard, proxy, tls });
  let address: AddressInfo;
  try {
    address = await server.listen(config.host, config.port);
  } catch (e) {
    pvApi.stop();
    rtaStream.stop();
    hub.close();
    await Promise.all([
      channelAccess.close(),
      qsConsole.stop(),
      cameraSocket.stop(),
      guard.stop(),
      telemetry.close(),
      datasets.close(),
    ]);
    throw e;
  }
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const httpServer = server;
  let closing: Promise<void> | undefined;
  return {
    address,
    url: `${tls ? "https" : "http"}://${host}:${address.port}`,
    hub,
    devices,
    simIoc: channelAccess.simIoc,
    server: httpServer,
    guard,
    telemetry,
    close() {
      closing ??= (async () => {
        pvApi.stop();
        rtaStream.stop();
        const sockets = httpServer.close();
        await Promise.all([telemetry.close(), datasets.close()]);
        hub.close();
        await Promise.all([sockets, channelAccess.close(), qsConsole.stop(), cameraSocket.stop()]);
        await guard.stop();
      })();
      return closing;
    },
  };
}

/** Opens the dataset store; what it could not load is logged and left alone. */
async function openDatasets(dir: string, options: Config["datasets"], log: Logger): Promise<DatasetStore> {
  let store: DatasetStore;
  try {
    store = await DatasetStore.open(dir, options);
  } catch (e) {
    throw new BeamgateError(
      "BG_ERR_CONFIG_INVALID",
      `dataDir: cannot open the dataset store in ${dir}: ${(e as Error).message}`,
    );
  }
  for (const problem of store.catalog.problems) log.error({ dir }, `dataset store: cannot load ${problem}`);
  return store;
}

/** The certificate and key files, read once at start (a bad path stops start-up with its name). */
function readTls(tls: Config["tls"]): { cert: Buffer; key: Buffer } | undefined {
  if (tls.cert === "") return undefined;
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new BeamgateError("BG_ERR_CONFIG_FILE", `cannot read the TLS ${what} ${file}: ${(e as Error).message}`);
    }
  };
  return { cert: read(tls.cert, "certificate"), key: read(tls.key, "key") };
}
