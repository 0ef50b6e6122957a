/**
 * One connection of an ophyd socket (specs/ophyd-websocket.md): pv-socket or device-socket, told
 * apart by their `Targets`. A name (a PV, or a device and its signals) is held once per socket
 * however often it was subscribed: subscriptions are counted, so one `unsubscribe` does not cut off
 * another holder, and a duplicate subscribe re-sends the cached meta and value. `subscribeSafely`
 * and `set` wait without blocking anything else. A signal whose PV is not found is reported once
 * and subscribed again every `retryNotFoundMs`, so that an IOC started later is picked up, as
 * ophyd's would be.
 */
import type { ScopedHub } from "../../core/scoped-hub.js";
import { asBeamgateError, type BeamgateError } from "../../errors.js";
import type { Connection } from "../../transport/connection.js";
import type { Session } from "../../transport/protocol.js";
import { type NamesMessage, OphydError, parseOphydMessage } from "./client-message.js";
import { pyStr } from "./python-text.js";
import type { QueueServerError } from "./queue-server.js";
import { checkSet } from "./set-request.js";
import { type DeviceState, SignalWatch, type WatchOwner } from "./signal-watch.js";
import { isUnresolved, type Resolved, type SignalSpec, type Targets } from "./targets.js";

export interface OphydSocketOptions {
  /** How long `subscribeSafely` waits for a name to connect (ophyd's default: 1 s). */
  readonly connectTimeoutMs: number;
  readonly maxSubscriptions: number;
  readonly maxPendingSets: number;
  readonly maxSetTimeoutMs: number;
  readonly retryNotFoundMs: number;
  /** Asked before every set: why it may not go ahead now (the queue server runs a plan), if so. */
  readonly refuseSet?: () => Promise<QueueServerError | undefined>;
}

/** What taking a hold gave: a new subscription, one more holder of an existing one, or why not. */
type HoldOutcome = "subscribed" | "already" | { error: string; extra?: Readonly<Record<string, unknown>> };

/** One name this socket holds: the watches of its signals and who holds it. */
interface Held {
  readonly name: string;
  readonly specs: readonly SignalSpec[];
  readonly watches: readonly SignalWatch[];
  readonly setpoint: Resolved["setpoint"];
  readonly identity: unknown;
  /** What a device's value frames say of the whole device. */
  readonly group: DeviceState;
  /** Confirmed subscriptions, and how many of them may write. */
  holders: number;
  writers: number;
  /** subscribeSafely requests still waiting for the connection. */
  waiting: number;
  /** A signal was not found: the missing ones are subscribed again at this timer. */
  retry: NodeJS.Timeout | undefined;
  /** The client was told a signal was not found (once, however many retries follow). */
  reported: boolean;
  /** Why it was let go while subscribeSafely requests waited for it, if not for want of a connection. */
  droppedBecause?: string;
}

const MAX_SAFELY_TIMEOUT_S = 60;

export class OphydSession implements Session, WatchOwner {
  readonly #connection: Connection;
  readonly #hub: ScopedHub;
  readonly #targets: Targets;
  readonly #options: OphydSocketOptions;
  readonly #held = new Map<string, Held>();
  readonly #byWatch = new Map<SignalWatch, Held>();
  readonly #lagging = new Set<SignalWatch>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #pendingSets = 0;
  /** subscribeSafely requests waiting, on every name. */
  #waiting = 0;
  /** The queue-server checks of this socket's sets, in order, so that its writes keep their order. */
  #setOrder: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(connection: Connection, hub: ScopedHub, targets: Targets, options: OphydSocketOptions) {
    this.#connection = connection;
    this.#hub = hub;
    this.#targets = targets;
    this.#options = options;
    connection.onDrain = () => {
      for (const watch of this.#lagging) watch.flushHeld();
      this.#lagging.clear();
    };
  }

  onMessage(data: Buffer, isBinary: boolean): void {
    try {
      if (isBinary) throw new OphydError("Binary frames are not supported: send JSON text messages");
      const message = parseOphydMessage(data.toString("utf8"), this.#targets.keys);
      switch (message.action) {
        case "subscribe":
        case "subscribeSafely":
        case "subscribeReadOnly":
          this.#subscribe(message).catch((e: unknown) => this.#unexpected(e));
          return;
        case "unsubscribe":
          this.#unsubscribe(message.names, message.list);
          return;
        case "refresh":
          for (const held of this.#held.values()) for (const watch of held.watches) watch.sendValue();
          this.#send({ message: this.#targets.words.refreshed });
          return;
        case "set":
          this.#set(message.name, message.value, message.timeout).catch((e: unknown) => this.#unexpected(e));
          return;
      }
    } catch (e) {
      if (e instanceof OphydError) this.#send({ error: e.message });
      else this.#unexpected(e);
    }
  }

  /** A failure no check foresaw: the client hears of it as the real server says it; the socket goes on. */
  #unexpected(e: unknown): void {
    this.#send({ error: `Unexpected error: ${(e as Error).message}` });
  }

  refuse(error: BeamgateError): void {
    this.#send({ error: error.message });
  }

  onClose(): void {
    this.#closed = true;
    for (const held of this.#held.values()) this.#release(held);
    this.#held.clear();
    this.#byWatch.clear();
    this.#lagging.clear();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  held(watch: SignalWatch): void {
    this.#lagging.add(watch);
  }

  ended(watch: SignalWatch, error: BeamgateError): void {
    const held = this.#byWatch.get(watch);
    if (!held) return;
    if (held.holders === 0) {
      this.#drop(held); // only subscribeSafely requests wait for it: they answer for themselves
      return;
    }
    if (!held.reported) this.#send({ error: this.#failure(held.name, error.message) });
    held.reported = true;
    if (error.code !== "BG_ERR_TOPIC_NOT_FOUND" || this.#closed) {
      this.#drop(held);
      return;
    }
    held.retry ??= setTimeout(() => this.#resubscribe(held), this.#options.retryNotFoundMs);
  }

  /**
   * The definitions behind these names changed (a device registry reload): held names move to
   * their new signals, or end with a clear message if they are gone.
   */
  retarget(names: readonly string[]): void {
    for (const name of names) {
      const held = this.#held.get(name);
      if (!held) continue;
      if (held.holders === 0) {
        held.droppedBecause = "redefined while connecting"; // the waiting subscribeSafely answers so
        this.#drop(held);
        continue;
      }
      const resolved = this.#targets.resolve(name);
      if (isUnresolved(resolved)) {
        this.#drop(held);
        this.#send({ error: `${resolved.error}: unsubscribed after the reload` });
        continue;
      }
      if (resolved.identity === held.identity) continue;
      this.#drop(held);
      const next = this.#open(name, resolved, held.writers === 0);
      if ("error" in next) {
        this.#send({ error: next.error });
        continue;
      }
      next.holders = held.holders;
      next.writers = held.writers;
      this.#announce(next).catch((e: unknown) => this.#unexpected(e));
    }
  }

  async #subscribe(message: NamesMessage): Promise<void> {
    const words = this.#targets.words;
    const readOnly = message.action === "subscribeReadOnly";
    if (message.names.length === 0) {
      this.#send({ error: words.noNames });
      return;
    }
    let waitMs: number | undefined;
    if (message.action === "subscribeSafely") {
      const t = message.timeout ?? this.#options.connectTimeoutMs / 1000;
      if (typeof t !== "number" || !(t > 0) || t > MAX_SAFELY_TIMEOUT_S) {
        this.#send({ error: `Timeout must be a number of seconds from 0 to ${MAX_SAFELY_TIMEOUT_S}` });
        return;
      }
      waitMs = t * 1000;
    }
    const subscribed: string[] = [];
    const already: string[] = [];
    const failed: Record<string, unknown>[] = [];
    const key = this.#targets.keys.single;
    const names = [...new Set(message.names)];
    const outcomes = await Promise.all(
      names.map(async (name) => {
        const outcome = await this.#hold(name, readOnly, waitMs, message.list);
        if (outcome === "subscribed") subscribed.push(name as string);
        else if (outcome === "already") already.push(name as string);
        else failed.push({ [key]: typeof name === "string" ? name : null, error: outcome.error });
        return outcome;
      }),
    );
    if (!message.list) {
      const [outcome] = outcomes;
      const name = names[0] as string;
      if (outcome === "subscribed") this.#send({ message: words.subscribed(name) });
      else if (outcome === "already") this.#send({ message: `Already subscribed to ${name}` });
      else if (outcome) this.#send({ error: outcome.error, ...outcome.extra });
    }
    names.forEach((name, i) => {
      const held = typeof name === "string" ? this.#held.get(name) : undefined;
      if (held && outcomes[i] === "subscribed") this.#announce(held).catch((e: unknown) => this.#unexpected(e));
      else if (held && outcomes[i] === "already") for (const watch of held.watches) watch.resend();
    });
    if (message.list) this.#send({ action: "subscribe", subscribed, already_subscribed: already, failed });
  }

  /**
   * Takes a hold on `name`: a new subscription, or one more holder of an existing one. With
   * `waitMs`, only once every signal has connected within that time.
   */
  async #hold(name: unknown, readOnly: boolean, waitMs: number | undefined, list: boolean): Promise<HoldOutcome> {
    const noun = this.#targets.words.noun;
    if (typeof name !== "string" || name.length === 0) return { error: `A ${noun} name must be a non-empty string` };
    let held = this.#held.get(name);
    const already = held !== undefined && held.holders > 0;
    if (!held) {
      if (this.#held.size >= this.#options.maxSubscriptions) {
        const limit = this.#options.maxSubscriptions;
        return { error: this.#failure(name, `subscription limit reached (${limit} per connection)`) };
      }
      const resolved = this.#targets.resolve(name);
      if (isUnresolved(resolved)) {
        return list ? { error: resolved.listError } : { error: resolved.error, extra: resolved.extra };
      }
      const opened = this.#open(name, resolved, readOnly);
      if ("error" in opened) return opened;
      held = opened;
    }
    if (waitMs !== undefined && !held.watches.every((w) => w.ready)) {
      if (this.#waiting >= this.#options.maxSubscriptions) {
        if (held.holders === 0 && held.waiting === 0) this.#drop(held);
        return { error: this.#failure(name, "too many subscribeSafely requests are waiting on this connection") };
      }
      held.waiting++;
      this.#waiting++;
      const connected = await this.#waitForConnection(held, waitMs);
      held.waiting--;
      this.#waiting--;
      if (this.#closed) return { error: "closed" };
      if (held.droppedBecause) return { error: this.#failure(name, held.droppedBecause) };
      if (!connected || this.#held.get(name) !== held) {
        if (held.holders === 0 && held.waiting === 0) this.#drop(held);
        const seconds = (waitMs / 1000).toFixed(2);
        return { error: this.#failure(name, `Failed to connect to ${name} within ${seconds} sec`) };
      }
    }
    held.holders++;
    if (!readOnly) held.writers++;
    this.#applyReadOnly(held);
    return already ? "already" : "subscribed";
  }

  /**
   * Starts a new holder's frames. A device's frames wait (up to `connectTimeoutMs`) until all its
   * signals are ready, so that its first value frames do not say "disconnected" only because a
   * sibling signal is still connecting.
   */
  async #announce(held: Held): Promise<void> {
    if (held.watches.length > 1 && !held.watches.every((w) => w.ready)) {
      await this.#waitForConnection(held, this.#options.connectTimeoutMs);
      if (this.#held.get(held.name) !== held) return;
    }
    for (const watch of held.watches) watch.announce();
  }

  /** Subscribes every signal of a name; all or none. */
  #open(name: string, resolved: Resolved & { identity: unknown }, readOnly: boolean): Held | { error: string } {
    const watches: SignalWatch[] = [];
    const setpoint = resolved.setpoint;
    const group: DeviceState = {
      get connected() {
        return watches.every((w) => w.status.connected);
      },
      get writeAccess() {
        return typeof setpoint === "number" && (watches[setpoint]?.access.writeAccess ?? false);
      },
    };
    const held: Held = {
      name,
      specs: resolved.signals,
      watches,
      setpoint: resolved.setpoint,
      identity: resolved.identity,
      group,
      holders: 0,
      writers: 0,
      waiting: 0,
      retry: undefined,
      reported: false,
    };
    for (const spec of resolved.signals) {
      const watch = new SignalWatch(
        spec.subject,
        name,
        {
          readOnly: readOnly || !spec.writable,
          frames: spec.frames,
          group: "device" in spec.subject ? group : undefined,
        },
        this.#connection,
        this,
      );
      watches.push(watch);
      this.#byWatch.set(watch, held);
      try {
        watch.subscription = this.#hub.subscribe(spec.topic, watch);
      } catch (e) {
        this.#release(held);
        for (const w of watches) this.#byWatch.delete(w);
        return { error: this.#failure(name, asBeamgateError(e, "BG_ERR_TOPIC_FAILED").message) };
      }
    }
    this.#held.set(name, held);
    return held;
  }

  #applyReadOnly(held: Held): void {
    held.watches.forEach((watch, i) => {
      watch.setReadOnly(held.writers === 0 || !(held.specs[i] as SignalSpec).writable);
    });
  }

  #waitForConnection(held: Held, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const started = Date.now();
      const poll = () => {
        this.#timers.delete(timer);
        if (this.#closed || held.watches.some((w) => w.subscription === undefined)) resolve(false);
        else if (held.watches.every((w) => w.ready)) resolve(true);
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
      this.#send({ error: this.#targets.words.noNames });
      return;
    }
    const unsubscribed: unknown[] = [];
    const notSubscribed: unknown[] = [];
    for (const name of names) {
      const held = typeof name === "string" ? this.#held.get(name) : undefined;
      if (!held || held.holders === 0) {
        notSubscribed.push(typeof name === "string" ? name : null);
        continue;
      }
      // Which holder leaves is not said: write access stays while read-write holders may remain.
      held.holders--;
      held.writers = Math.min(held.writers, held.holders);
      if (held.holders === 0 && held.waiting === 0) this.#drop(held);
      else this.#applyReadOnly(held);
      unsubscribed.push(name);
    }
    if (list) {
      this.#send({ action: "unsubscribe", unsubscribed, not_subscribed: notSubscribed });
      return;
    }
    const [name] = names;
    const shown = typeof name === "string" ? name : pyStr(name);
    this.#send({ message: unsubscribed.length > 0 ? `Unsubscribed from ${name}` : `Not subscribed to ${shown}` });
  }

  async #set(name: unknown, value: unknown, timeout: unknown): Promise<void> {
    const words = this.#targets.words;
    if (typeof name !== "string" || name.length === 0) {
      this.#send({ error: words.noName });
      return;
    }
    const held = this.#held.get(name);
    if (!held || held.holders === 0) {
      this.#send({ error: words.notSubscribed(name) });
      return;
    }
    if (typeof held.setpoint !== "number") {
      this.#send({ error: held.setpoint.error });
      return;
    }
    const watch = held.watches[held.setpoint] as SignalWatch;
    const topic = (held.specs[held.setpoint] as SignalSpec).topic;
    if (!watch.access.writeAccess) {
      this.#send({ error: `Write access is not enabled for ${words.noun} ${name}. Cannot set value.` });
      return;
    }
    const request = checkSet(words.noun, name, { value, timeout }, watch.meta, this.#options.maxSetTimeoutMs);
    if ("error" in request) {
      this.#send({ error: request.error });
      return;
    }
    const shown = pyStr(request.value);
    if (this.#pendingSets >= this.#options.maxPendingSets) {
      const limit = this.#options.maxPendingSets;
      this.#send({
        error: `Could not set value of ${name} to ${shown}: ${limit} sets are already waiting for completion on this connection`,
      });
      return;
    }
    this.#pendingSets++;
    try {
      const check = this.#setOrder.then(() => this.#options.refuseSet?.());
      this.#setOrder = check.catch(() => undefined);
      const refusal = await check;
      if (refusal) {
        this.#send(typeof refusal.detail === "string" ? { error: refusal.detail } : { ...refusal.detail });
        return;
      }
      // The check took time: the socket, or this subscription, may be gone.
      if (this.#closed || this.#held.get(name) !== held || held.holders === 0) return;
      await this.#hub.put(topic, request.value, request.timeoutMs);
      const done = words.setDone(name, shown);
      if (done) this.#send(done);
    } catch (e) {
      const error = asBeamgateError(e, "BG_ERR_PUT_FAILED");
      const seconds = (request.timeoutMs / 1000).toFixed(2);
      this.#send(
        error.code === "BG_ERR_PUT_TIMEOUT"
          ? {
              message: `Set of ${name} to ${shown} still in progress after ${seconds} sec: the write was sent and its value frames follow`,
            }
          : { error: `Could not set value of ${name} to ${shown}: ${error.message}` },
      );
    } finally {
      this.#pendingSets--;
    }
  }

  /** The signals not found are subscribed again, quietly; a new failure schedules the next try. */
  #resubscribe(held: Held): void {
    held.retry = undefined;
    if (this.#closed || this.#held.get(held.name) !== held) return;
    held.specs.forEach((spec, i) => {
      const watch = held.watches[i] as SignalWatch;
      if (watch.subscription) return;
      try {
        watch.subscription = this.#hub.subscribe(spec.topic, watch);
        watch.announce();
      } catch {
        held.retry ??= setTimeout(() => this.#resubscribe(held), this.#options.retryNotFoundMs);
      }
    });
  }

  #failure(name: string, why: string): string {
    return `Failed to connect to ${this.#targets.words.noun} ${name}: ${why}`;
  }

  #drop(held: Held): void {
    this.#release(held);
    if (this.#held.get(held.name) === held) this.#held.delete(held.name);
    for (const watch of held.watches) {
      this.#byWatch.delete(watch);
      this.#lagging.delete(watch);
    }
  }

  #release(held: Held): void {
    clearTimeout(held.retry);
    held.retry = undefined;
    for (const watch of held.watches) {
      watch.subscription?.close();
      watch.subscription = undefined;
    }
  }

  #send(fields: Record<string, unknown>): void {
    if (!this.#closed) this.#connection.sendText(JSON.stringify(fields));
  }
}
