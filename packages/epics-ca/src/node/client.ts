/**
 * A Channel Access client on Node's `dgram` and `net`, as libca behaves: name searches with back-off
 * to the address list (`searcher.ts`), beacons heard through the host's repeater (started here when
 * none runs) so that a server that comes back is searched at once, one virtual circuit per server
 * (`client-circuit.ts`), and channels that reconnect by themselves (`client-channel.ts`). Options not
 * given come from the EPICS environment variables (`env.ts`).
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { BeaconTracker } from "../beacon-tracker.js";
import type { CaMessage } from "../commands.js";
import { ECA } from "../constants.js";
import { decodeDatagram } from "../message-reader.js";
import { CaRequestError, type ChannelOwner, ClientChannel } from "./client-channel.js";
import { ClientCircuit } from "./client-circuit.js";
import { type CaClientEnvOptions, caClientOptionsFromEnv } from "./env.js";
import { numberToIpv4, parseAddressList } from "./ipv4.js";
import { RepeaterRegistration } from "./repeater-registration.js";
import { Searcher } from "./searcher.js";

export { CaRequestError, type ChannelValue, ClientChannel } from "./client-channel.js";

export interface CaClientOptions extends Partial<CaClientEnvOptions> {
  /** First search retry delay; doubles up to `maxSearchIntervalMs`. */
  readonly searchIntervalMs?: number;
}

export class CaClient implements ChannelOwner {
  readonly #options: Required<CaClientOptions>;
  readonly #udp: UdpSocket;
  readonly #searcher: Searcher;
  readonly #repeater: RepeaterRegistration;
  readonly #beacons = new BeaconTracker();
  readonly #channels = new Map<number, ClientChannel>();
  readonly #circuits = new Map<string, Promise<ClientCircuit>>();
  #nextId = 1;
  #closed = false;

  constructor(options: CaClientOptions = {}) {
    this.#options = { ...caClientOptionsFromEnv(), searchIntervalMs: 30, ...options };
    const { addressList, serverPort, repeaterPort, searchIntervalMs, maxSearchIntervalMs } = this.#options;
    this.#udp = createSocket("udp4");
    this.#udp.on("message", (bytes, from) => this.#datagram(bytes, from.address));
    this.#udp.on("error", () => {}); // an unreachable search address is not fatal
    const targets = parseAddressList(addressList, serverPort);
    this.#searcher = new Searcher(this.#udp, targets, searchIntervalMs, maxSearchIntervalMs);
    // A repeater started here listens on loopback unless beacons may come from other hosts.
    const local = targets.every((t) => t.host.startsWith("127.") || t.host === "localhost");
    this.#repeater = new RepeaterRegistration(this.#udp, repeaterPort, local ? "127.0.0.1" : "0.0.0.0");
    this.#udp.bind(0, () => {
      this.#udp.setBroadcast(true);
      if (!this.#closed) this.#repeater.start();
    });
  }

  /** A channel to `name`; it connects (and reconnects) by itself. */
  channel(name: string): ClientChannel {
    if (this.#closed) throw new CaRequestError("client closed", ECA.DISCONN);
    const channel = new ClientChannel(this, name, this.nextId());
    this.#channels.set(channel.cid, channel);
    this.#searcher.add(channel);
    return channel;
  }

  /** Channels open, circuits open, names being searched: for leak checks and status pages. */
  get stats(): { channels: number; circuits: number; searching: number } {
    return { channels: this.#channels.size, circuits: this.#circuits.size, searching: this.#searcher.pendingCount };
  }

  /** True once the host's repeater has confirmed this client's registration (beacons arrive). */
  get hearsBeacons(): boolean {
    return this.#repeater.confirmed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const channel of [...this.#channels.values()]) channel.close();
    this.#searcher.close();
    this.#repeater.close();
    for (const circuit of this.#circuits.values())
      circuit.then(
        (c) => c.close(),
        () => {},
      );
    this.#udp.close();
  }

  // --- ChannelOwner ---

  nextId(): number {
    this.#nextId = this.#nextId >= 0x7fffffff ? 1 : this.#nextId + 1;
    return this.#nextId;
  }

  request(circuit: ClientCircuit, timeoutMs: number, make: (ioid: number) => CaMessage): Promise<CaMessage> {
    const ioid = this.nextId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        circuit.pending.delete(ioid);
        reject(new CaRequestError(`no reply within ${timeoutMs} ms`, ECA.TIMEOUT));
      }, timeoutMs);
      circuit.pending.set(ioid, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      circuit.send(make(ioid));
    });
  }

  forget(channel: ClientChannel): void {
    this.#channels.delete(channel.cid);
    this.#searcher.remove(channel);
  }

  // --- UDP: search replies, beacons, the repeater's confirmation ---

  #datagram(bytes: Buffer, from: string): void {
    let messages: CaMessage[];
    try {
      messages = decodeDatagram(bytes, "response");
    } catch {
      return; // garbage is ignored, as libca does
    }
    for (const m of messages) {
      if (m.direction !== "response") continue;
      if (m.command === "SEARCH")
        this.#found(m.cid, m.serverAddress === 0xffffffff ? from : numberToIpv4(m.serverAddress), m.port);
      else if (m.command === "RSRV_IS_UP") {
        const server = `${m.serverAddress === 0 ? from : numberToIpv4(m.serverAddress)}:${m.port}`;
        if (this.#beacons.observe(server, m.beaconId, Date.now())) this.#searcher.reset();
      } else if (m.command === "REPEATER_CONFIRM") this.#repeater.confirm();
    }
  }

  #found(cid: number, host: string, port: number): void {
    const channel = this.#channels.get(cid);
    if (!channel || !this.#searcher.remove(channel)) return; // answered already, or gone
    this.#circuitFor(host, port).then(
      (circuit) => {
        if (channel.closed) return;
        if (circuit.closed) this.#searcher.add(channel);
        else channel.attach(circuit);
      },
      () => {
        if (!channel.closed) this.#searcher.add(channel);
      },
    );
  }

  #circuitFor(host: string, port: number): Promise<ClientCircuit> {
    const key = `${host}:${port}`;
    let circuit = this.#circuits.get(key);
    if (!circuit) {
      circuit = ClientCircuit.connect(host, port, {
        maxArrayBytes: this.#options.maxArrayBytes,
        connectionTimeoutMs: this.#options.connectionTimeoutMs,
        onMessage: (c, m) => this.#handle(c, m),
        onClose: (c) => this.#circuitClosed(key, c),
      });
      this.#circuits.set(key, circuit);
      circuit.catch(() => this.#circuits.delete(key));
    }
    return circuit;
  }

  #circuitClosed(key: string, circuit: ClientCircuit): void {
    this.#circuits.delete(key);
    const error = new CaRequestError(`${key}: circuit closed`, ECA.DISCONN);
    for (const pending of circuit.pending.values()) pending.reject(error);
    circuit.pending.clear();
    for (const { cid } of [...circuit.channels]) {
      const channel = this.#channels.get(cid);
      if (!channel) continue;
      channel.detach();
      if (!this.#closed) this.#searcher.add(channel);
    }
  }

  #handle(circuit: ClientCircuit, m: CaMessage): void {
    if (m.direction !== "response") return;
    switch (m.command) {
      case "CREATE_CHAN":
        this.#channels.get(m.cid)?.created(m.sid, m.dataType, m.dataCount);
        return;
      case "ACCESS_RIGHTS":
        this.#channels.get(m.cid)?.rightsChanged(m.accessRights);
        return;
      case "CREATE_CH_FAIL":
      case "SERVER_DISCONN": {
        const channel = this.#channels.get(m.cid);
        if (!channel) return;
        channel.detach();
        this.#searcher.add(channel);
        return;
      }
      case "READ_NOTIFY":
      case "WRITE_NOTIFY": {
        const pending = circuit.pending.get(m.ioid);
        circuit.pending.delete(m.ioid);
        pending?.resolve(m);
        return;
      }
      case "EVENT_ADD": {
        const cid = circuit.circuit.channelBySubscription(m.subscriptionId)?.cid;
        if (cid !== undefined) this.#channels.get(cid)?.update(m.subscriptionId, m);
        return;
      }
      default:
        return;
    }
  }
}
