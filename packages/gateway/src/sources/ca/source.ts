/**
 * The `ca://` source: EPICS Channel Access PVs through the epics-ca client. One channel per topic
 * with two monitors: CTRL on DBE_PROPERTY for the metadata (sent again when units, limits or labels
 * change) and TIME on value and alarm for the samples, both made again by the client on every
 * reconnection. A name not connected within the search timeout fails its topic with "PV not found";
 * its channel is kept (up to a bound) and searched on with the client's back-off, so the name may
 * appear later and subscribing again neither floods the network nor restarts the back-off.
 */
import { ACCESS, type CaClient, CaRequestError, type ClientChannel, DBE, ECA } from "@beamgate/epics-ca";
import type { Source, TopicSink, Upstream } from "../../core/source.js";
import { DISCONNECTED } from "../../core/values.js";
import { BeamgateError, type ErrorCode } from "../../errors.js";
import { metaOf, putValueOf, sampleOf } from "./values.js";

export interface CaSourceOptions {
  /** Creates the CA client when the first `ca://` topic opens. */
  readonly client: () => CaClient;
  /** How long a name may take to connect before its topic fails with "PV not found". */
  readonly searchTimeoutMs: number;
  /** Names not found that stay searched after their topic ended; the oldest are dropped past it. */
  readonly maxUnresolved: number;
}

/** EPICS record and field names: printable, no spaces, bounded (CA itself has no limit). */
const PV_NAME = /^[\x21-\x7e]{1,256}$/;

export class CaSource implements Source {
  readonly scheme = "ca";
  readonly #options: CaSourceOptions;
  #client: CaClient | undefined;
  readonly #unresolved = new Map<string, ClientChannel>();

  constructor(options: CaSourceOptions) {
    this.#options = options;
  }

  resolve(path: string): string {
    if (!PV_NAME.test(path)) {
      throw new BeamgateError("BG_ERR_TOPIC_INVALID", `Not a PV name: ca://${path} (printable characters, no spaces)`);
    }
    return path;
  }

  open(name: string, sink: TopicSink): Upstream {
    const kept = this.#unresolved.get(name);
    this.#unresolved.delete(name);
    const channel = kept ?? this.#clientNow().channel(name);
    const status = () => ({
      connected: channel.connected,
      readAccess: channel.connected && (channel.accessRights & ACCESS.READ) !== 0,
      writeAccess: channel.connected && (channel.accessRights & ACCESS.WRITE) !== 0,
    });
    let notFound: NodeJS.Timeout | undefined;
    if (!channel.connected) {
      notFound = setTimeout(
        () => sink.fail(new BeamgateError("BG_ERR_TOPIC_NOT_FOUND", `PV not found: ${name}`)),
        this.#options.searchTimeoutMs,
      );
    }
    channel.onConnection = (connected) => {
      clearTimeout(notFound);
      sink.status(connected ? status() : DISCONNECTED);
    };
    channel.onAccessRights = () => sink.status(status());
    const stopMeta = channel.monitor((ctrl) => sink.meta(metaOf(name, channel.nativeBase, channel.nativeCount, ctrl)), {
      dataClass: "CTRL",
      mask: DBE.PROPERTY,
    });
    const stopData = channel.monitor(
      (time) => sink.data(sampleOf(name, channel.nativeBase, channel.nativeCount, time)),
      {
        mask: DBE.VALUE | DBE.ALARM,
      },
    );
    if (channel.connected) sink.status(status());
    return {
      close: () => {
        clearTimeout(notFound);
        stopMeta();
        stopData();
        channel.onConnection = undefined;
        channel.onAccessRights = undefined;
        if (channel.connected) channel.close();
        else this.#keep(name, channel);
      },
      put: (value, timeoutMs) => put(channel, name, value, timeoutMs),
    };
  }

  close(): void {
    this.#unresolved.clear();
    this.#client?.close();
    this.#client = undefined;
  }

  #clientNow(): CaClient {
    this.#client ??= this.#options.client();
    return this.#client;
  }

  #keep(name: string, channel: ClientChannel): void {
    this.#unresolved.set(name, channel);
    if (this.#unresolved.size > this.#options.maxUnresolved) {
      const [oldest, dropped] = this.#unresolved.entries().next().value as [string, ClientChannel];
      this.#unresolved.delete(oldest);
      dropped.close();
    }
  }
}

async function put(channel: ClientChannel, name: string, value: unknown, timeoutMs: number): Promise<void> {
  if (!channel.connected) throw new BeamgateError("BG_ERR_PUT_FAILED", `ca://${name} is not connected`);
  const { value: array, base } = putValueOf(name, channel.nativeBase, value);
  try {
    await channel.put(array, { base, timeoutMs });
  } catch (e) {
    if (!(e instanceof CaRequestError)) throw e;
    throw new BeamgateError(
      PUT_ERRORS.get(e.status) ?? "BG_ERR_PUT_FAILED",
      `Put to ca://${name} failed: ${e.message}`,
    );
  }
}

const PUT_ERRORS = new Map<number, ErrorCode>([
  [ECA.TIMEOUT, "BG_ERR_PUT_TIMEOUT"],
  [ECA.NOWTACCESS, "BG_ERR_PUT_READ_ONLY"],
  [ECA.BADTYPE, "BG_ERR_PUT_INVALID_VALUE"],
  [ECA.NOCONVERT, "BG_ERR_PUT_INVALID_VALUE"],
]);
