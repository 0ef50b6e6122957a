/**
 * The hub: topics by URI, one upstream per topic whatever the number of subscribers (reference
 * counted, closed after a linger once the last one leaves), and puts routed to the topic's source.
 * It knows no wire format and no connection.
 */
import { BeamgateError } from "../errors.js";
import { type AccessCheck, ScopedHub } from "./scoped-hub.js";
import type { Source } from "./source.js";
import { type Subscriber, Subscription } from "./subscription.js";
import { Topic } from "./topic.js";
import { parseTopicName } from "./topic-name.js";

export interface HubOptions {
  readonly defaultScheme: string;
  readonly lingerMs: number;
  readonly maxTopics: number;
  readonly logWindowMaxRecords: number;
  readonly logWindowMaxBytes: number;
}

export interface SubscribeOptions {
  /** Log topics: replay retained records from this sequence (0 or 1: all retained). */
  readonly start?: number | undefined;
  /** The epoch `start` refers to; if the topic's epoch differs, the subscriber is told. */
  readonly epoch?: string | undefined;
}

export class Hub {
  readonly #options: HubOptions;
  readonly #sources = new Map<string, Source>();
  readonly #topics = new Map<string, Topic>();
  #closed = false;

  constructor(options: HubOptions) {
    this.#options = options;
  }

  addSource(source: Source): void {
    this.#sources.set(source.scheme, source);
  }

  get schemes(): string[] {
    return [...this.#sources.keys()];
  }

  /** Number of topics open upstream (lingering ones included). */
  get topicCount(): number {
    return this.#topics.size;
  }

  /** The canonical URI of a topic name (`SIM:m1` -> `ca://SIM:m1`); throws BG_ERR_TOPIC_* as `subscribe` would. */
  canonical(name: string): string {
    return this.#resolve(name).uri;
  }

  /** The URIs the policy is asked about for a topic: its canonical URI first, then any that govern it. */
  policyUris(name: string): string[] {
    const { uri, source, path } = this.#resolve(name);
    return [uri, ...(source.governedBy?.(path) ?? [])];
  }

  /** This hub as seen by one principal: every subscription and put is checked by `access` first. */
  as(access: AccessCheck): ScopedHub {
    return new ScopedHub(this, access);
  }

  /** Whether a topic is open upstream (lingering included). */
  isOpen(name: string): boolean {
    return this.#topics.has(this.#resolve(name).uri);
  }

  /**
   * Subscribes to a topic, opening it upstream on first interest. The subscriber receives the
   * cached state synchronously, before this returns. Throws BG_ERR_TOPIC_* if the name is malformed,
   * unknown, or the topic limit is reached.
   */
  subscribe(name: string, subscriber: Subscriber, options: SubscribeOptions = {}): Subscription {
    if (this.#closed) throw new BeamgateError("BG_ERR_CONN_SHUTDOWN");
    const opened = this.#topics.size;
    const topic = this.#acquire(name);
    const subscription = new Subscription(topic, subscriber, (s, t) => this.#release(s, t));
    // The first subscriber of a log topic also gets what the source produced while opening.
    const justOpened = this.#topics.size > opened;
    topic.attach(subscription, options.start ?? (justOpened ? 1 : undefined), options.epoch);
    return subscription;
  }

  /**
   * Writes a value to a topic and resolves when the source reports completion. Rejects with
   * BG_ERR_TOPIC_* or BG_ERR_PUT_* (read-only, invalid value, timeout, failure).
   */
  async put(name: string, value: unknown, timeoutMs: number): Promise<void> {
    const started = performance.now();
    const holder: Subscriber = { onEvent() {}, onEnd() {} };
    const subscription = this.subscribe(name, holder);
    const topic = this.#topics.get(subscription.uri) as Topic;
    try {
      await topic.waitForConnection(timeoutMs);
      if (topic.failed) throw topic.failed;
      if (!topic.currentStatus.connected) {
        throw new BeamgateError("BG_ERR_PUT_TIMEOUT", `${topic.uri} did not connect within ${timeoutMs} ms`);
      }
      const put = topic.upstream?.put;
      if (!put || !topic.currentStatus.writeAccess) {
        throw new BeamgateError("BG_ERR_PUT_READ_ONLY", `${topic.uri} is not writable`);
      }
      const remaining = Math.max(1, timeoutMs - (performance.now() - started));
      await withTimeout(put.call(topic.upstream, value, remaining), remaining, topic.uri);
    } finally {
      subscription.close();
    }
  }

  /** Ends every subscription and closes every topic and source. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const topic of [...this.#topics.values()]) {
      this.#end(topic, new BeamgateError("BG_ERR_CONN_SHUTDOWN"));
    }
    for (const source of this.#sources.values()) source.close();
  }

  #release(subscription: Subscription, topic: Topic): void {
    topic.subscriptions.delete(subscription);
    if (topic.subscriptions.size > 0 || this.#topics.get(topic.uri) !== topic) return;
    if (this.#options.lingerMs === 0) {
      this.#closeUpstream(topic);
      return;
    }
    topic.lingerTimer = setTimeout(() => this.#closeUpstream(topic), this.#options.lingerMs);
    topic.lingerTimer.unref();
  }

  #resolve(name: string): { uri: string; source: Source; path: string } {
    const { scheme, path } = parseTopicName(name, this.#options.defaultScheme);
    const source = this.#sources.get(scheme);
    if (!source) {
      throw new BeamgateError("BG_ERR_TOPIC_NOT_FOUND", `Unknown scheme "${scheme}" in ${name}`);
    }
    const canonical = source.resolve(path);
    return { uri: `${scheme}://${canonical}`, source, path: canonical };
  }

  #acquire(name: string): Topic {
    const { uri, source, path } = this.#resolve(name);
    const existing = this.#topics.get(uri);
    if (existing) {
      clearTimeout(existing.lingerTimer);
      existing.lingerTimer = undefined;
      return existing;
    }
    if (this.#topics.size >= this.#options.maxTopics) {
      throw new BeamgateError("BG_ERR_TOPIC_LIMIT", `Too many topics open (limit ${this.#options.maxTopics})`);
    }
    const topic = new Topic(
      uri,
      { maxRecords: this.#options.logWindowMaxRecords, maxBytes: this.#options.logWindowMaxBytes },
      (failed) => this.#end(failed, failed.failed as BeamgateError),
    );
    this.#topics.set(uri, topic);
    try {
      topic.upstream = source.open(path, topic);
    } catch (e) {
      this.#topics.delete(uri);
      throw e;
    }
    if (topic.failed) {
      this.#closeUpstream(topic);
      throw topic.failed;
    }
    return topic;
  }

  /** Ends a topic: its subscribers are told why and its upstream is closed. */
  #end(topic: Topic, error: BeamgateError): void {
    const subscriptions = [...topic.subscriptions];
    topic.subscriptions.clear();
    this.#closeUpstream(topic);
    for (const subscription of subscriptions) subscription.end(error);
  }

  #closeUpstream(topic: Topic): void {
    clearTimeout(topic.lingerTimer);
    if (this.#topics.get(topic.uri) === topic) this.#topics.delete(topic.uri);
    const upstream = topic.upstream;
    topic.upstream = undefined;
    upstream?.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, uri: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new BeamgateError("BG_ERR_PUT_TIMEOUT", `Put to ${uri} did not complete within ${Math.round(ms)} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
