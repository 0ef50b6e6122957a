/** A sim IOC on a free loopback port with a client that finds it, and a recorder of monitor updates. */
import { after, before } from "node:test";
import { CaClient, type ChannelValue, type ClientChannel } from "@beamgate/epics-ca";
import { type SimIoc, type SimIocOptions, startSimIoc } from "../../src/sim-ioc/sim-ioc.js";

export interface TestIoc {
  readonly ioc: SimIoc;
  /** A connected channel. */
  channel(name: string): Promise<ClientChannel>;
  close(): Promise<void>;
}

export async function startTestIoc(options: SimIocOptions = {}): Promise<TestIoc> {
  const ioc = await startSimIoc({ host: "127.0.0.1", port: 0, ...options });
  const client = new CaClient({ addressList: [`127.0.0.1:${ioc.ports.udpPort}`] });
  return {
    ioc,
    async channel(name) {
      const channel = client.channel(name);
      await channel.wait(5000);
      return channel;
    },
    async close() {
      client.close();
      await ioc.close();
    },
  };
}

/** One test IOC for the tests of the enclosing `describe`: started before them, closed after. */
export function useTestIoc(): Pick<TestIoc, "channel"> {
  let started: Promise<TestIoc> | undefined;
  before(() => {
    started = startTestIoc();
    return started.then(() => {});
  });
  after(async () => (await started)?.close());
  return {
    async channel(name) {
      if (!started) throw new Error("no test IOC: use useTestIoc() inside describe()");
      return (await started).channel(name);
    },
  };
}

/** The first element of a channel value, as a number. */
export function scalar(v: ChannelValue): number {
  return Number(v.value[0]);
}

/**
 * Monitors a channel and keeps every update. `next` waits for the next update (after the last one
 * `next` returned) that matches, so successive calls follow the sequence of updates.
 */
export class Recorder {
  readonly values: ChannelValue[] = [];
  readonly #cancel: () => void;
  #cursor = 0;
  #wake: (() => void) | undefined;

  constructor(channel: ClientChannel, options: Parameters<ClientChannel["monitor"]>[1] = {}) {
    this.#cancel = channel.monitor((v) => {
      this.values.push(v);
      this.#wake?.();
    }, options);
  }

  async next(matches: (v: ChannelValue) => boolean = () => true, timeoutMs = 5000): Promise<ChannelValue> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.values.length) {
        const v = this.values[this.#cursor++] as ChannelValue;
        if (matches(v)) return v;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching update within ${timeoutMs} ms (${this.values.length} seen)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  stop(): void {
    this.#cancel();
  }
}
