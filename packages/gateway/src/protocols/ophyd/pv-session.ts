/**
 * One `/api/v1/pv-socket` connection (specs/ophyd-websocket.md). Each PV it holds is one hub
 * subscription, however often it was subscribed: subscriptions are counted per socket, so one
 * `unsubscribe` does not cut off another holder, and a duplicate subscribe re-sends the cached meta
 * and value. `subscribeSafely` and `set` wait without blocking anything else. A PV that is not found
 * is reported once and subscribed again every `retryNotFoundMs`, so that an IOC started later is
 * picked up, as ophyd's would be.
 */
import type { Hub } from "../../core/hub.js";
import { asBeamgateError, type BeamgateError } from "../../errors.js";
import type { Connection } from "../../transport/connection.js";
import type { Session } from "../../transport/protocol.js";
import { type NamesMessage, OphydError, PV_KEYS, parseOphydMessage } from "./client-message.js";
import { pyStr } from "./python-text.js";
import { checkSet } from "./set-request.js";
import { SignalWatch, type WatchOwner } from "./signal-watch.js";

export interface PvSocketOptions {
  /** How long `subscribeSafely` waits for a PV to connect (ophyd's default: 1 s). */
  readonly connectTimeoutMs: number;
  readonly maxSubscriptions: number;
  readonly maxPendingSets: number;
  readonly maxSetTimeoutMs: number;
  readonly retryNotFoundMs: number;
}

/** What taking a hold gave: a new subscription, one more holder of an existing one, or why not. */
type HoldOutcome = "subscribed" | "already" | { error: string };

/** One PV this socket holds: its watch and who holds it. */
interface Held {
  readonly name: string;
  readonly watch: SignalWatch;
  /** Confirmed subscriptions, and how many of them may write. */
  holders: number;
  writers: number;
  /** subscribeSafely requests still waiting for the connection. */
  waiting: number;
  /** The PV was not found: it is subscribed again at this timer. */
  retry: NodeJS.Timeout | undefined;
  /** The client was told the PV was not found (once, however many retries follow). */
  reported: boolean;
}

export class PvSession implements Session, WatchOwner {
  readonly #connection: Connection;
  readonly #hub: Hub;
  readonly #options: PvSocketOptions;
  readonly #held = new Map<string, Held>();
  readonly #lagging = new Set<SignalWatch>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #pendingSets = 0;
  #closed = false;

  constructor(connection: Connection, hub: Hub, options: PvSocketOptions) {
    this.#connection = connection;
    this.#hub = hub;
    this.#options = options;
    connection.onDrain = () => {
      for (const watch of this.#lagging) watch.flushHeld();
      this.#lagging.clear();
    };
  }

  onMessage(data: Buffer, isBinary: boolean): void {
    try {
      if (isBinary) throw new OphydError("Binary frames are not supported: send JSON text messages");
      const message = parseOphydMessage(data.toString("utf8"), PV_KEYS);
      switch (message.action) {
        case "subscribe":
        case "subscribeSafely":
        case "subscribeReadOnly":
          void this.#subscribe(message);
          return;
        case "unsubscribe":
          this.#unsubscribe(message.names, message.list);
          return;
        case "refresh":
          for (const { watch } of this.#held.values()) watch.sendValue();
          this.#send({ message: "Refreshed all PVs" });
          return;
        case "set":
          void this.#set(message.name, message.value, message.timeout);
          return;
      }
    } catch (e) {
      this.#send({ error: e instanceof OphydError ? e.message : `Unexpected error: ${(e as Error).message}` });
    }
  }

  onClose(): void {
    this.#closed = true;
    for (const held of this.#held.values()) this.#release(held);
    this.#held.clear();
    this.#lagging.clear();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  held(watch: SignalWatch): void {
    this.#lagging.add(watch);
  }

  ended(watch: SignalWatch, error: BeamgateError): void {
    const held = this.#held.get(watch.obj);
    if (!held || held.watch !== watch) return;
    if (held.holders === 0) {
      this.#drop(held); // only subscribeSafely requests wait for it: they answer for themselves
      return;
    }
    if (!held.reported) this.#send({ error: `Failed to connect to PV ${held.name}: ${error.message}` });
    held.reported = true;
    if (error.code !== "BG_ERR_TOPIC_NOT_FOUND" || this.#closed) {
      this.#drop(held);
      return;
    }
    held.retry = setTimeout(() => this.#resubscribe(held), this.#options.retryNotFoundMs);
  }

  async #subscribe(message: NamesMessage): Promise<void> {
    const readOnly = message.action === "subscribeReadOnly";
    const safely = message.action === "subscribeSafely";
    if (message.names.length === 0) {
      this.#send({ error: "No PV name(s) specified" });
      return;
    }
    let timeoutMs = this.#options.connectTimeoutMs;
    if (safely && message.timeout !== undefined) {
      if (typeof message.timeout !== "number" || !(message.timeout > 0) || message.timeout * 1000 > 60_000) {
        this.#send({ error: "Timeout must be a number of seconds from 0 to 60" });
        return;
      }
      timeoutMs = message.timeout * 1000;
    }
    const subscribed: string[] = [];
    const already: string[] = [];
    const failed: { pv: unknown; error: string }[] = [];
    const outcomes = message.names.map(async (name) => {
      const outcome = await this.#hold(name, readOnly, safely ? timeoutMs : undefined);
      if (outcome === "subscribed") subscribed.push(name as string);
      else if (outcome === "already") already.push(name as string);
      else failed.push({ pv: name, error: outcome.error });
      return outcome;
    });
    if (!message.list) {
      const [outcome] = await Promise.all(outcomes);
      const name = message.names[0] as string;
      if (outcome === "subscribed") this.#send({ message: `Subscribed to ${name}` });
      else if (outcome === "already") this.#send({ message: `Already subscribed to ${name}` });
      else if (outcome) this.#send({ error: outcome.error });
      this.#announce(name, outcome);
      return;
    }
    const settled = await Promise.all(outcomes);
    message.names.forEach((name, i) => {
      this.#announce(name, settled[i]);
    });
    this.#send({ action: "subscribe", subscribed, already_subscribed: already, failed });
  }

  /**
   * Takes a hold on `name`: a new subscription, or one more holder of an existing one. With
   * `waitMs`, only once the PV has connected within that time.
   */
  async #hold(name: unknown, readOnly: boolean, waitMs: number | undefined): Promise<HoldOutcome> {
    if (typeof name !== "string" || name.length === 0) return { error: "PV name must be a non-empty string" };
    let held = this.#held.get(name);
    const already = held !== undefined && held.holders > 0;
    if (!held) {
      if (this.#held.size >= this.#options.maxSubscriptions) {
        return {
          error: `Failed to connect to PV ${name}: subscription limit reached (${this.#options.maxSubscriptions} PVs per connection)`,
        };
      }
      const watch = new SignalWatch({ pv: name }, name, readOnly, this.#connection, this);
      try {
        watch.subscription = this.#hub.subscribe(name, watch);
      } catch (e) {
        return { error: `Failed to connect to PV ${name}: ${asBeamgateError(e, "BG_ERR_TOPIC_FAILED").message}` };
      }
      held = { name, watch, holders: 0, writers: 0, waiting: 0, retry: undefined, reported: false };
      this.#held.set(name, held);
    }
    if (waitMs !== undefined && !held.watch.status.connected) {
      held.waiting++;
      const connected = await this.#waitForConnection(held.watch, waitMs);
      held.waiting--;
      if (this.#closed) return { error: "closed" };
      if (!connected) {
        if (held.holders === 0 && held.waiting === 0) this.#drop(held);
        const seconds = (waitMs / 1000).toFixed(2);
        return { error: `Failed to connect to PV ${name}: Failed to connect to ${name} within ${seconds} sec` };
      }
    }
    held.holders++;
    if (!readOnly) held.writers++;
    held.watch.setReadOnly(held.writers === 0);
    return already ? "already" : "subscribed";
  }

  /** After the reply: a new holder starts the frames; a duplicate gets the cached meta and value again. */
  #announce(name: unknown, outcome: HoldOutcome | undefined): void {
    const held = typeof name === "string" ? this.#held.get(name) : undefined;
    if (!held) return;
    if (outcome === "subscribed") held.watch.announce();
    else if (outcome === "already") held.watch.resend();
  }

  #waitForConnection(watch: SignalWatch, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const started = Date.now();
      const poll = () => {
        this.#timers.delete(timer);
        if (this.#closed || watch.subscription === undefined) resolve(false);
        else if (watch.ready) resolve(true);
        else if (Date.now() - started >= ms) resolve(false);
        else {
          timer = setTimeout(poll, Math.min(10, ms));
          this.#timers.add(timer);
        }
      };
      let timer = setTimeout(poll, 0);
      this.#timers.add(timer);
    });
  }

  #unsubscribe(names: readonly unknown[], list: boolean): void {
    if (names.length === 0) {
      this.#send({ error: "No PV name(s) specified" });
      return;
    }
    const unsubscribed: unknown[] = [];
    const notSubscribed: unknown[] = [];
    for (const name of names) {
      const held = typeof name === "string" ? this.#held.get(name) : undefined;
      if (!held || held.holders === 0) {
        notSubscribed.push(name);
        continue;
      }
      // Which holder leaves is not said: write access stays while read-write holders may remain.
      held.holders--;
      held.writers = Math.min(held.writers, held.holders);
      if (held.holders === 0 && held.waiting === 0) this.#drop(held);
      else held.watch.setReadOnly(held.writers === 0);
      unsubscribed.push(name);
    }
    if (list) {
      this.#send({ action: "unsubscribe", unsubscribed, not_subscribed: notSubscribed });
      return;
    }
    const [name] = names;
    this.#send({ message: unsubscribed.length > 0 ? `Unsubscribed from ${name}` : `Not subscribed to ${pyStr(name)}` });
  }

  async #set(name: unknown, value: unknown, timeout: unknown): Promise<void> {
    if (typeof name !== "string" || name.length === 0) {
      this.#send({ error: "No PV specified" });
      return;
    }
    const held = this.#held.get(name);
    if (!held || held.holders === 0) {
      this.#send({ error: `PV ${name} is not subscribed. Subscribe to PV before setting value.` });
      return;
    }
    const watch = held.watch;
    if (!watch.access.writeAccess) {
      this.#send({ error: `Write access is not enabled for PV ${name}. Cannot set value.` });
      return;
    }
    const request = checkSet("PV", name, { value, timeout }, watch.meta, this.#options.maxSetTimeoutMs);
    if ("error" in request) {
      this.#send({ error: request.error });
      return;
    }
    if (this.#pendingSets >= this.#options.maxPendingSets) {
      this.#send({
        error: `Could not set value of ${name} to ${pyStr(request.value)}: ${this.#options.maxPendingSets} sets are already waiting for completion on this connection`,
      });
      return;
    }
    this.#pendingSets++;
    try {
      await this.#hub.put(name, request.value, request.timeoutMs);
    } catch (e) {
      const error = asBeamgateError(e, "BG_ERR_PUT_FAILED");
      const shown = pyStr(request.value);
      this.#send(
        error.code === "BG_ERR_PUT_TIMEOUT"
          ? {
              message: `Set of ${name} to ${shown} still in progress after ${(request.timeoutMs / 1000).toFixed(2)} sec: the write was sent and its value frames follow`,
            }
          : { error: `Could not set value of ${name} to ${shown}: ${error.message}` },
      );
    } finally {
      this.#pendingSets--;
    }
  }

  /** The not-found PV is subscribed again, quietly; a new failure schedules the next try. */
  #resubscribe(held: Held): void {
    if (this.#closed || this.#held.get(held.name) !== held) return;
    try {
      held.watch.subscription = this.#hub.subscribe(held.name, held.watch);
      held.retry = undefined;
      held.watch.announce();
    } catch {
      held.retry = setTimeout(() => this.#resubscribe(held), this.#options.retryNotFoundMs);
    }
  }

  #drop(held: Held): void {
    this.#release(held);
    if (this.#held.get(held.name) === held) this.#held.delete(held.name);
    this.#lagging.delete(held.watch);
  }

  #release(held: Held): void {
    clearTimeout(held.retry);
    held.watch.subscription?.close();
    held.watch.subscription = undefined;
  }

  #send(fields: Record<string, unknown>): void {
    if (!this.#closed) this.#connection.sendText(JSON.stringify(fields));
  }
}
